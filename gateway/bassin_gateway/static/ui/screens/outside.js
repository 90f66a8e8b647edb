// What the portals and the settings share (issue 27): French words for the API's codes,
// a PDF (the API's base64) handed to the browser as a download, a section that loads.

import { api, ApiError } from "../api.js";
import { el, fill, notice } from "../dom.js";

export const CATEGORIES = {
  heat_pump: "Pompe à chaleur",
  pump: "Pompe",
  filtration_pump: "Pompe de filtration",
  robot: "Robot",
  controller: "Régulation",
  pvc_membrane: "Membrane PVC",
  sand_filter: "Filtre à sable",
  cartridge_filter: "Filtre à cartouche",
  salt_chlorinator: "Électrolyseur au sel",
  robot_cleaner: "Robot nettoyeur",
  multiport_valve: "Vanne multivoies",
  liner: "Liner",
  structure: "Structure du bassin",
  buried_pipes: "Canalisations enterrées",
  technical_room_pipes: "Local technique",
  coping: "Margelles",
  lighting: "Éclairage",
  cover: "Couverture",
  other: "Autre",
};
export const RETURN_STATUSES = {
  requested: "Demandé",
  accepted: "Accepté",
  refused: "Refusé",
  part_shipped: "Pièce expédiée",
  credited: "Avoir émis",
  closed: "Clos",
};
export const PARAMETERS = {
  ph: "pH",
  free_chlorine: "Chlore libre (mg/L)",
  combined_chlorine: "Chlore combiné (mg/L)",
  total_alkalinity: "TAC (mg/L)",
  calcium_hardness: "TH (mg/L)",
  cyanuric_acid: "Stabilisant (mg/L)",
  salt: "Sel (g/L)",
  temperature: "Température (°C)",
  tds: "TDS (mg/L)",
  bromine: "Brome (mg/L)",
  active_oxygen: "Oxygène actif (mg/L)",
};
export const ROLES = { manager: "Gérant", office: "Bureau", sales: "Commercial", technician: "Technicien", cashier: "Caisse", customer: "Client (portail)" };

/** A French label for a code, the code itself when unknown. */
export const label = (labels, code) => (code === null || code === undefined ? "—" : labels[code] || code);

/** The API's ``{filename, content}`` (base64 PDF) downloaded by the browser. */
export function download(document_) {
  const bytes = Uint8Array.from(atob(document_.content), (c) => c.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes], { type: "application/pdf" }));
  const link = el("a", { href: url, download: document_.filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A button that downloads the PDF at ``path``; errors said next to it. */
export function pdfButton(text, path, accessibleName) {
  const status = el("span", { class: "field-error", role: "alert" });
  const button = el("button", { type: "button", class: "quiet", "aria-label": accessibleName || text }, text);
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = "";
    try {
      download(await api("GET", path));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      status.textContent = `Téléchargement impossible : ${error.french}`;
    } finally {
      button.disabled = false;
    }
  });
  return el("span", { class: "pdf" }, button, status);
}

/** A titled section whose body ``load(body)`` fills; an error said in it, with a retry. */
export function section(id, title, load, intro = null) {
  const body = el("div", { class: "section-body", "aria-live": "polite" }, el("p", { class: "muted" }, "Chargement…"));
  const run = async () => {
    try {
      await load(body);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      fill(body, notice("error", "Indisponible pour le moment. ", error.french), el("button", { type: "button", class: "quiet", onclick: run }, "Réessayer"));
    }
  };
  run();
  return el("section", { class: "panel block", id, "aria-labelledby": `${id}-titre` }, el("h2", { id: `${id}-titre` }, title), intro ? el("p", { class: "hint" }, intro) : null, body);
}

/** A table from rows: ``columns`` is [[header, cell(row), {num}]...]; on a phone each row
 * becomes a card, each cell under its header's name (CSS: table.stack). */
export function table(caption, columns, rows, rowAttributes = () => ({})) {
  return el(
    "div",
    { class: "table-wrap" },
    el(
      "table",
      { class: "stack" },
      caption ? el("caption", {}, caption) : null,
      el("thead", {}, el("tr", {}, columns.map(([header, , options = {}]) => el("th", { scope: "col", class: options.num ? "num" : null }, header)))),
      el("tbody", {}, rows.map((row) => el("tr", rowAttributes(row), columns.map(([header, cell, options = {}]) => el("td", { class: options.num ? "num" : null, "data-label": header || null }, cell(row)))))),
    ),
  );
}

export function badge(colour, text) {
  return el("span", { class: `badge badge-${colour}` }, text);
}

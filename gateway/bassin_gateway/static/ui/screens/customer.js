// The customer file (/client?id=…): everything about the customer and their pools on one
// page, from one request (GET /api/v1/customers/customers/{id}/overview). Identity and
// contacts, sites, pools (shape drawn, volume), equipment with warranty and end-of-life
// badges, water analyses (trend chart with the target band, the last values out of range
// in red, the recommendation sold at the till in one click, a new analysis recorded here),
// timeline, SAV tickets, worksites, invoices and balance, actions, quotes. A part whose
// service is slow or down says so; the rest shows.

import { api, ApiError, frenchMessages } from "../api.js";
import { el, field, fieldError, fill, notice } from "../dom.js";
import { cents, date, euros, number } from "../format.js";

const MISSING = {
  unavailable: "le service ne répond pas ou n’atteint pas sa base de données",
  late: "le service n’a pas répondu à temps",
  failed: "erreur inattendue",
  not_allowed: "votre rôle ne le permet pas",
};
const BADGES = { green: ["badge-green", "OK"], orange: ["badge-orange", "bientôt"], red: ["badge-red", "dépassé"] };
export const PARAMETERS = {
  ph: { label: "pH", unit: "" },
  free_chlorine: { label: "Chlore libre", unit: "mg/L" },
  combined_chlorine: { label: "Chlore combiné", unit: "mg/L" },
  total_alkalinity: { label: "TAC", unit: "mg/L" },
  calcium_hardness: { label: "TH", unit: "mg/L" },
  cyanuric_acid: { label: "Stabilisant", unit: "mg/L" },
  salt: { label: "Sel", unit: "mg/L" },
  temperature: { label: "Température", unit: "°C" },
  tds: { label: "TDS", unit: "mg/L" },
  bromine: { label: "Brome", unit: "mg/L" },
  active_oxygen: { label: "Oxygène actif", unit: "mg/L" },
};
const FORM_PARAMETERS = ["ph", "free_chlorine", "total_alkalinity", "cyanuric_acid", "calcium_hardness", "temperature"];
const EQUIPMENT = { pump: "Pompe", heat_pump: "Pompe à chaleur", filter: "Filtre", salt_chlorinator: "Électrolyseur", robot: "Robot", cover: "Couverture", lighting: "Éclairage", dosing_pump: "Pompe doseuse" };
const WORDS = { liner: "liner", pvc_membrane: "membrane armée", tiles: "carrelage", sand: "sable", cartridge: "cartouche", glass: "verre", chlorine: "chlore", salt: "sel (électrolyse)", bromine: "brome", active_oxygen: "oxygène actif", uv: "UV" };
const SHAPES = { rectangle: "Rectangulaire", round: "Ronde", oval: "Ovale", freeform: "Forme libre" };
const SALE_KEY = "bassin.caisse.vente"; // the till's sale in progress (screens/till.js)

export default {
  render(main, { can, navigate }) {
    const id = new URLSearchParams(location.search).get("id");
    if (!id) {
      fill(main, el("h1", {}, "Fiche client"), el("p", {}, "Aucun client choisi. ", el("a", { href: "/clients", "data-link": true }, "Rechercher un client")));
      return;
    }
    fill(main, el("h1", {}, "Fiche client"), el("p", { class: "muted" }, "Chargement…"));
    load(main, id, { can, navigate });
  },
};

async function load(main, id, context) {
  let file;
  try {
    file = await api("GET", `/api/v1/customers/customers/${id}/overview`);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    fill(main, el("h1", {}, "Fiche client"), notice("error", error.french), el("button", { type: "button", class: "quiet", onclick: () => load(main, id, context) }, "Réessayer"));
    return;
  }
  const reload = () => load(main, id, context);
  const customer = file.customer.file;
  fill(
    main,
    el("div", { class: "file-head" }, el("h1", {}, customer ? customer.display_name : "Fiche client"), customer ? el("span", { class: "muted" }, customer.kind === "company" ? "Professionnel" : "Particulier") : null),
    el(
      "div",
      { class: "file-grid" },
      section("Identité et contacts", "identite", file.customer, () => identity(customer, file)),
      section("Solde", "solde", file.balance, () => balance(file.balance.balance)),
      section("Sites", "sites", file.customer, () => sites(customer)),
    ),
    section("Piscines et équipements", "piscines", file.customer, () => pools(customer)),
    section("Analyses d’eau", "analyses", file.analyses, () => analyses(customer, file.analyses.items, reload, context)),
    el(
      "div",
      { class: "file-grid" },
      section("Historique", "historique", file.timeline, () => timeline(file.timeline.items)),
      section("SAV en cours", "sav", file.tickets, () => tickets(file.tickets.items)),
      section("Chantiers", "chantiers", file.worksites, () => worksites(file.worksites.items)),
      section("Factures", "factures", file.invoices, () => invoices(file.invoices.items)),
      section("Actions à faire", "actions", file.actions, () => actions(file.actions.items)),
      section("Devis", "devis", file.quotes, () => quotes(file.quotes.items, id)),
    ),
  );
}

/** A panel of the file, or why its part is missing. */
function section(title, slug, part, show) {
  const titleId = `titre-${slug}`;
  const body =
    part.status === "ok" ? show() : notice(part.status === "not_allowed" ? "info" : "error", `Indisponible pour le moment : ${MISSING[part.status] || part.status}.`);
  return el("section", { class: "panel", "aria-labelledby": titleId, "data-part": slug }, el("h2", { id: titleId }, title), body);
}

function empty(text) {
  return el("p", { class: "empty" }, text);
}

function facts(pairs) {
  return el("dl", { class: "facts" }, pairs.filter(([, value]) => value).map(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
}

function identity(customer) {
  const address = customer.billing_address;
  return facts([
    ["Société", customer.company_name],
    ["Téléphones", customer.phones.map((p) => `${p.number}${p.label ? ` (${p.label})` : ""}`).join(", ")],
    ["E-mails", customer.emails.map((e) => e.address).join(", ")],
    ["Adresse", address ? `${address.line1}${address.line2 ? `, ${address.line2}` : ""}, ${address.postcode} ${address.city}` : null],
    ["Préférence", customer.preferred_channel],
    ["Étiquettes", customer.tags.join(", ")],
    ["Client depuis", date(customer.created_at)],
  ]);
}

function balance(figures) {
  const due = cents(figures.balance);
  return [
    el("p", { class: `figure ${due > 0 ? "" : "ok"}`, "data-figure": "solde" }, due > 0 ? `${euros(due)} dus` : "Rien à payer"),
    facts([
      ["Facturé", euros(cents(figures.invoiced))],
      ["Payé", euros(cents(figures.paid))],
      ["En retard", cents(figures.overdue) ? euros(cents(figures.overdue)) : null],
    ]),
  ];
}

function sites(customer) {
  if (!customer.sites.length) return empty("Aucun site : ajoutez l’adresse de la piscine.");
  return el(
    "ul",
    { class: "items" },
    customer.sites.map((s) => el("li", {}, el("span", {}, el("strong", {}, s.label || "Site"), ` — ${s.line1}, ${s.postcode} ${s.city}`, s.access_notes ? el("small", {}, ` · ${s.access_notes}`) : null))),
  );
}

// --- pools and equipment -------------------------------------------------------------------

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) if (value !== null && value !== undefined) node.setAttribute(name, String(value));
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

/** The pool seen from above, to scale within a 140 × 100 box, its dimensions written. */
export function poolShape(pool) {
  const length = Number(pool.length_m) || 1;
  const width = Number(pool.width_m) || 1;
  const scale = Math.min(120 / length, 70 / width);
  const w = length * scale;
  const h = (pool.shape === "round" ? length : width) * scale;
  const x = (140 - w) / 2;
  const y = (90 - h) / 2;
  const water =
    pool.shape === "round" || pool.shape === "oval"
      ? svg("ellipse", { class: "water", cx: 70, cy: 45, rx: w / 2, ry: h / 2 })
      : pool.shape === "freeform"
      ? svg("path", { class: "water", d: `M${x + w * 0.2} ${y} C${x + w} ${y - h * 0.1} ${x + w * 1.05} ${y + h} ${x + w * 0.7} ${y + h} S${x - w * 0.05} ${y + h * 1.05} ${x} ${y + h * 0.5} S${x} ${y} ${x + w * 0.2} ${y}Z` })
      : svg("rect", { class: "water", x, y, width: w, height: h, rx: 3 });
  const label = `${number(length)} × ${number(width)} m`;
  return svg(
    "svg",
    { class: "pool-shape", viewBox: "0 0 140 106", role: "img", "aria-label": `${SHAPES[pool.shape] || pool.shape}, ${label}` },
    water,
    svg("text", { x: 70, y: 103, "text-anchor": "middle" }, label),
  );
}

function pools(customer) {
  if (!customer.pools.length) return empty("Aucune piscine enregistrée pour ce client.");
  return customer.pools.map((pool) =>
    el(
      "article",
      { class: "pool", "aria-label": pool.name },
      poolShape(pool),
      el(
        "div",
        {},
        el("h3", {}, pool.name, " — ", el("span", { "data-volume": true }, `${number(Number(pool.volume_m3))} m³`)),
        facts([
          ["Forme", SHAPES[pool.shape] || pool.shape],
          ["Dimensions", `${number(Number(pool.length_m))} × ${number(Number(pool.width_m))} m, profondeur moyenne ${number(Number(pool.mean_depth_m))} m`],
          ["Revêtement", WORDS[pool.coating] || pool.coating],
          ["Traitement", WORDS[pool.treatment] || pool.treatment],
          ["Filtration", WORDS[pool.filtration] || pool.filtration],
          ["Chauffage", pool.heating],
          ["Couverture", pool.cover],
        ]),
        equipment(pool.equipment),
      ),
    ),
  );
}

function badge(colour, what, until) {
  const [kind, word] = BADGES[colour] || ["badge-grey", colour];
  return el("span", { class: `badge ${kind}`, title: `${what} : ${date(until)}` }, `${what} ${word}`);
}

function equipment(items) {
  const inService = items.filter((e) => e.status === "in_service");
  if (!inService.length) return empty("Aucun équipement enregistré.");
  return el(
    "div",
    { class: "table-wrap" },
    el(
      "table",
      {},
      el("caption", {}, "Équipements en service"),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Équipement"), el("th", { scope: "col" }, "Installé le"), el("th", { scope: "col" }, "Garantie"), el("th", { scope: "col" }, "Fin de vie"))),
      el(
        "tbody",
        {},
        inService.map((e) =>
          el(
            "tr",
            { "data-equipment": e.id },
            el("td", {}, `${EQUIPMENT[e.category] || e.category} ${e.brand} ${e.model}`, e.serial_number ? el("small", {}, ` n° ${e.serial_number}`) : null),
            el("td", {}, date(e.installed_on)),
            el("td", {}, badge(e.warranty_badge, "Garantie", e.warranty_ends_on), el("small", {}, ` ${date(e.warranty_ends_on)}`)),
            el("td", {}, badge(e.end_of_life_badge, "Vie", e.end_of_life_on), el("small", {}, ` ${date(e.end_of_life_on)}`)),
          ),
        ),
      ),
    ),
  );
}

// --- water analyses --------------------------------------------------------------------------

function analyses(customer, items, reload, context) {
  const poolsOf = customer ? customer.pools : [];
  if (!poolsOf.length) return empty("Aucune piscine : une analyse se rattache à une piscine.");
  return poolsOf.map((pool) => {
    const mine = items.filter((a) => a.pool_id === pool.id);
    const last = mine[0];
    return el(
      "div",
      { class: "pool-analyses", "data-pool": pool.id },
      poolsOf.length > 1 ? el("h3", {}, pool.name) : null,
      last ? lastAnalysis(last, customer, context) : empty("Aucune analyse pour cette piscine : enregistrez la première ci-dessous."),
      mine.length > 1 ? trends(mine) : null,
      context.can("record_water_analyses") ? analysisForm(pool, reload) : null,
    );
  });
}

function reading(r) {
  const meta = PARAMETERS[r.parameter] || { label: r.parameter, unit: "" };
  const out = r.level !== "ok";
  const band = r.low !== null && r.high !== null ? ` (cible ${number(Number(r.low))}–${number(Number(r.high))})` : "";
  return el("li", { class: `reading${out ? " out" : ""}`, "data-parameter": r.parameter }, `${meta.label} : ${number(Number(r.value))} ${meta.unit}`, el("small", {}, `${band}${out ? (r.level === "low" ? " — trop bas" : " — trop haut") : ""}`));
}

function lastAnalysis(analysis, customer, { can, navigate }) {
  const products = analysis.recommendation.filter((a) => a.article_id);
  const sell = () => {
    // The till's sale in progress (kept in this tab): the recommended articles, one of each.
    const lines = [...new Set(products.map((a) => a.article_id))].map((article_id) => ({ article_id, quantity: 1 }));
    sessionStorage.setItem(SALE_KEY, JSON.stringify({ lines, payments: [], change: 0, key: null, customer_id: customer.id }));
    navigate("/caisse");
  };
  return el(
    "div",
    { class: "last-analysis" },
    el("p", {}, el("strong", {}, `Dernière analyse du ${date(analysis.recorded_at)}`), analysis.balance ? el("small", {}, ` — eau ${analysis.balance === "balanced" ? "équilibrée" : analysis.balance === "corrosive" ? "agressive" : "entartrante"}`) : null),
    el("ul", { class: "items readings" }, analysis.readings.map(reading)),
    analysis.recommendation.length
      ? [el("h3", {}, "Recommandation"), el("ul", { class: "advice", "data-advice": true }, analysis.recommendation.map((a) => el("li", {}, a.advice)))]
      : el("p", { class: "ok" }, "Eau dans les cibles : rien à ajouter."),
    products.length && can("record_sales")
      ? el("button", { type: "button", class: "primary", onclick: sell, "data-sell": true }, `Vendre en caisse (${products.length} produit${products.length > 1 ? "s" : ""})`)
      : null,
  );
}

/** One small chart per parameter measured at least twice: the target band shaded, the
 * values joined, those out of range in red; a table beside it gives the numbers. */
function trends(items) {
  const chronological = [...items].reverse();
  const measured = Object.keys(PARAMETERS).filter((p) => chronological.filter((a) => a.readings.some((r) => r.parameter === p)).length > 1);
  return el(
    "div",
    { class: "trends" },
    measured.map((parameter) => chart(parameter, chronological)),
    el(
      "details",
      {},
      el("summary", {}, "Les valeurs en tableau"),
      el(
        "div",
        { class: "table-wrap" },
        el(
          "table",
          {},
          el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Date"), measured.map((p) => el("th", { scope: "col" }, PARAMETERS[p].label)))),
          el(
            "tbody",
            {},
            items.map((a) =>
              el(
                "tr",
                {},
                el("th", { scope: "row" }, date(a.recorded_at)),
                measured.map((p) => {
                  const r = a.readings.find((x) => x.parameter === p);
                  return el("td", { class: r && r.level !== "ok" ? "out num" : "num" }, r ? number(Number(r.value)) : "—");
                }),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

function chart(parameter, chronological) {
  const points = chronological.map((a) => ({ at: a.recorded_at, r: a.readings.find((x) => x.parameter === parameter) })).filter((p) => p.r);
  const values = points.map((p) => Number(p.r.value));
  const last = points[points.length - 1].r;
  const low = last.low !== null ? Number(last.low) : null;
  const high = last.high !== null ? Number(last.high) : null;
  const all = [...values, ...(low !== null ? [low] : []), ...(high !== null ? [high] : [])];
  let min = Math.min(...all);
  let max = Math.max(...all);
  if (max === min) [min, max] = [min - 1, max + 1];
  const pad = (max - min) * 0.1;
  [min, max] = [min - pad, max + pad];
  const [width, height, left, top, bottom] = [320, 110, 34, 8, 20];
  const x = (i) => left + (points.length > 1 ? (i * (width - left - 8)) / (points.length - 1) : 0);
  const y = (v) => top + ((max - v) * (height - top - bottom)) / (max - min);
  const meta = PARAMETERS[parameter];
  const label = `${meta.label}${meta.unit ? ` (${meta.unit})` : ""}`;
  return el(
    "figure",
    { class: "trend-figure", "data-chart": parameter },
    svg(
      "svg",
      { class: "trend", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `${label} : ${values.map((v) => number(v)).join(", ")}` },
      low !== null && high !== null ? svg("rect", { class: "band", x: left, y: y(high), width: width - left - 8, height: Math.max(y(low) - y(high), 1) }) : null,
      svg("line", { class: "axis", x1: left, y1: height - bottom, x2: width - 8, y2: height - bottom }),
      svg("text", { x: left - 4, y: y(max - pad) + 4, "text-anchor": "end" }, number(Math.round((max - pad) * 10) / 10)),
      svg("text", { x: left - 4, y: y(min + pad) + 4, "text-anchor": "end" }, number(Math.round((min + pad) * 10) / 10)),
      svg("polyline", { class: "curve", points: values.map((v, i) => `${x(i)},${y(v)}`).join(" ") }),
      points.map((p, i) => svg("circle", { class: `dot${p.r.level !== "ok" ? " out" : ""}`, cx: x(i), cy: y(values[i]), r: 3.5 })),
      svg("text", { x: left, y: height - 4 }, date(points[0].at)),
      svg("text", { x: width - 8, y: height - 4, "text-anchor": "end" }, date(points[points.length - 1].at)),
    ),
    el("figcaption", {}, label, el("small", {}, " — la bande verte est la cible")),
  );
}

function analysisForm(pool, reload) {
  const inputs = Object.fromEntries(FORM_PARAMETERS.map((p) => [p, el("input", { id: `analyse-${pool.id}-${p}`, type: "text", inputmode: "decimal", autocomplete: "off", name: p })]));
  const message = el("div", { "aria-live": "polite" });
  const submit = async (event) => {
    event.preventDefault();
    const body = {};
    for (const [p, input] of Object.entries(inputs)) {
      fieldError(input, null);
      const text = input.value.trim().replace(",", ".");
      if (text) body[p] = text;
    }
    if (!Object.keys(body).length) {
      fill(message, notice("error", "Saisissez au moins une valeur mesurée."));
      inputs.ph.focus();
      return;
    }
    try {
      await api("POST", `/api/v1/customers/pools/${pool.id}/analyses`, { body });
      reload();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      for (const [name, messages] of Object.entries(error.errors)) if (inputs[name]) fieldError(inputs[name], frenchMessages(messages));
      fill(message, notice("error", error.french));
    }
  };
  return el(
    "details",
    { class: "new-analysis" },
    el("summary", {}, "Enregistrer une nouvelle analyse"),
    el(
      "form",
      { class: "analysis-form", onsubmit: submit, "aria-label": `Nouvelle analyse — ${pool.name}` },
      FORM_PARAMETERS.map((p) => field(`${PARAMETERS[p].label}${PARAMETERS[p].unit ? ` (${PARAMETERS[p].unit})` : ""}`, inputs[p])),
      el("div", { class: "actions" }, el("button", { type: "submit", class: "primary" }, "Enregistrer l’analyse"), message),
    ),
  );
}

// --- the rest of the file ----------------------------------------------------------------------

function timeline(items) {
  if (!items.length) return empty("Rien encore dans l’historique.");
  return el("ol", { class: "timeline" }, items.map((entry) => el("li", {}, el("time", { datetime: entry.at }, date(entry.at)), entry.text)));
}

const TICKET_STATUS = { open: "ouvert", scheduled: "intervention planifiée", completed: "terminé" };
function tickets(items) {
  if (!items.length) return empty("Aucun ticket SAV en cours.");
  return el("ul", { class: "items" }, items.map((t) => el("li", {}, el("span", {}, el("strong", {}, t.number), ` ${t.description}`), el("span", {}, TICKET_STATUS[t.status] || t.status))));
}

const PROJECT_STATUS = { open: "à démarrer", in_progress: "en cours", completed: "terminé" };
function worksites(items) {
  if (!items.length) return empty("Aucun chantier.");
  return el(
    "ul",
    { class: "items" },
    items.map((p) => el("li", {}, el("span", {}, `${p.pool_type_code}`, p.filling_date ? el("small", {}, ` mise en eau ${date(p.filling_date)}`) : null), el("span", {}, PROJECT_STATUS[p.status] || p.status))),
  );
}

function invoices(items) {
  if (!items.length) return empty("Aucune facture.");
  return el(
    "ul",
    { class: "items" },
    items.map((i) =>
      el("li", {}, el("span", {}, i.number || "brouillon", i.issued_on ? el("small", {}, ` du ${date(i.issued_on)}`) : null), el("span", { class: "amount" }, euros(cents(i.total_incl_vat)), cents(i.balance) ? el("small", {}, ` (reste ${euros(cents(i.balance))})`) : null)),
    ),
  );
}

function actions(items) {
  if (!items.length) return empty("Aucune action en attente pour ce client.");
  return el("ul", { class: "items" }, items.map((a) => el("li", {}, el("span", {}, a.title), el("span", {}, date(a.due_on)))));
}

const QUOTE_STATUS = { draft: "brouillon", sent: "envoyé", accepted: "accepté", declined: "refusé", superseded: "remplacé" };
function quotes(items, customerId) {
  return [
    items.length
      ? el(
          "ul",
          { class: "items" },
          items.map((q) => el("li", {}, el("a", { href: `/devis?id=${q.id}`, "data-link": true }, `${q.number} v${q.version}`), el("span", {}, `${QUOTE_STATUS[q.status] || q.status} · `, el("span", { class: "amount" }, euros(cents(q.total_incl_vat)))))),
        )
      : empty("Aucun devis."),
    el("a", { class: "button", href: `/devis?client=${customerId}`, "data-link": true }, "Nouveau devis"),
  ];
}

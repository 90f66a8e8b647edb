// Purchasing: the supplier basket validated into purchase orders (e-mailed to the
// supplier), the orders and their receipts, the suppliers' price lists imported (preview
// with its per-line report, then the good lines applied) and the stock counts (inventaire)
// with their variance report. Everything through inventory's API.

import { api, ApiError, everyPage, newKey } from "../api.js";
import { el, field, fill, notice } from "../dom.js";
import { cents, date, euros, number, time } from "../format.js";
import { busy, currentView, download, failure, figures, loading, table, tabs } from "./office-kit.js";

const VIEWS = [
  { id: "panier", label: "Panier fournisseur", requires: "manage_purchasing" },
  { id: "commandes", label: "Commandes et réceptions", requires: "read_business_data" },
  { id: "tarifs", label: "Import de tarifs", requires: "manage_purchasing" },
  { id: "inventaire", label: "Inventaire", requires: "receive_and_count_stock" },
];
const ORDER_STATUS = { open: "À envoyer", sent: "Envoyée", partially_received: "Reçue en partie", received: "Reçue" };

export default {
  render(main, { can }) {
    const views = VIEWS.filter((v) => can(v.requires));
    const view = currentView(views);
    const body = el("div", {});
    fill(main, el("h1", {}, "Achats"), tabs("/achats", views, view, "Vues des achats"), body);
    if (view === "panier") basket(body, can);
    else if (view === "commandes") orders(body, can);
    else if (view === "tarifs") priceLists(body);
    else counts(body);
  },
};

// --- the supplier basket → purchase orders ---------------------------------------------------

async function basket(body, can) {
  fill(body, loading("du panier fournisseur"));
  let lines;
  try {
    lines = (await everyPage("/api/v1/inventory/supplier-basket/lines", {}, 10)).items;
  } catch (error) {
    return fill(body, failure(error, "Le panier fournisseur est indisponible. "));
  }
  if (!lines.length) {
    return fill(body, el("p", { class: "empty ok" }, "Le panier fournisseur est vide : aucun article n’est sous son seuil de réassort."), el("a", { class: "button", href: "/achats?vue=commandes", "data-link": true }, "Voir les commandes"));
  }
  const bySupplier = new Map();
  for (const line of lines) {
    const key = line.supplier_id || "";
    if (!bySupplier.has(key)) bySupplier.set(key, { name: line.supplier_name || "Fournisseur à choisir", lines: [] });
    bySupplier.get(key).lines.push(line);
  }
  fill(
    body,
    el("p", { class: "lead" }, `${number(lines.length)} ligne${lines.length > 1 ? "s" : ""} à commander chez ${number(bySupplier.size)} fournisseur${bySupplier.size > 1 ? "s" : ""}. Ajustez les quantités (0 retire la ligne), puis validez : un bon de commande numéroté est créé et envoyé au fournisseur par e-mail.`),
    [...bySupplier].map(([supplierId, group]) => supplierSection(body, supplierId, group, can)),
  );
}

function supplierSection(body, supplierId, group, can) {
  const messages = el("div", { class: "messages", "aria-live": "polite" });
  const rows = group.lines.map((line) => {
    const input = el("input", { type: "number", inputmode: "numeric", min: 0, step: 1, value: line.quantity, class: "qty-input", "aria-label": `Quantité à commander : ${line.article_name}` });
    input.addEventListener("change", () => changeQuantity(line, input, messages));
    return [el("span", {}, line.article_name, el("small", {}, ` ${line.sku}`)), line.location_code || "—", input];
  });
  const validate = el("button", { type: "button", class: "primary", onclick: () => validateOrder() }, "Valider et envoyer le bon de commande");
  return el(
    "section",
    { class: "supplier panel", "aria-label": group.name, "data-supplier": group.name },
    el("h2", {}, group.name, el("small", {}, ` — ${group.lines.length} ligne${group.lines.length > 1 ? "s" : ""}`)),
    table(null, [{ label: "Article" }, { label: "Pour" }, { label: "À commander", num: true }], rows),
    messages,
    supplierId && can("manage_purchasing") ? el("div", { class: "actions" }, validate) : el("p", { class: "hint" }, "Choisissez d’abord un fournisseur pour ces articles (offre préférée de l’article)."),
  );

  async function validateOrder() {
    await busy(validate, messages, async () => {
      const order = await api("POST", "/api/v1/inventory/purchase-orders", { body: { supplier_id: supplierId, line_ids: group.lines.filter((l) => l.quantity > 0).map((l) => l.id) }, idempotencyKey: newKey() });
      let sent = "";
      try {
        await api("POST", `/api/v1/inventory/purchase-orders/${order.id}/email`, { idempotencyKey: newKey() });
        sent = " et envoyé par e-mail au fournisseur";
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        sent = ` ; l’envoi par e-mail a échoué (${error.french}) : renvoyez-le depuis la commande`;
      }
      fill(body, notice("ok", `Bon de commande ${order.number} créé${sent}.`), el("a", { class: "button primary", href: `/achats?vue=commandes&commande=${order.id}`, "data-link": true }, `Ouvrir la commande ${order.number}`));
    });
  }
}

async function changeQuantity(line, input, messages) {
  const quantity = Number(input.value);
  if (!Number.isInteger(quantity) || quantity < 0) {
    fill(messages, notice("error", "Un nombre entier, zéro ou plus."));
    return;
  }
  input.disabled = true;
  try {
    const saved = await api("PUT", `/api/v1/inventory/supplier-basket/lines/${line.id}`, { body: { quantity }, ifMatch: `"${line.version}"` });
    Object.assign(line, saved);
    fill(messages, notice("ok", quantity ? `${line.article_name} : ${number(quantity)} à commander.` : `${line.article_name} retiré du panier.`));
  } catch (error) {
    fill(messages, failure(error, `${line.article_name} : `));
  } finally {
    input.disabled = false;
  }
}

// --- purchase orders and receipts -----------------------------------------------------------------

async function orders(body, can) {
  const id = new URLSearchParams(location.search).get("commande");
  if (id) return orderDetail(body, id, can);
  fill(body, loading("des commandes"));
  try {
    const page = await api("GET", "/api/v1/inventory/purchase-orders", { query: { limit: 50 } });
    if (!page.items.length) return fill(body, el("p", { class: "empty" }, "Aucune commande fournisseur. Elles naissent du panier fournisseur, une fois validé."));
    fill(
      body,
      table(
        "Commandes fournisseurs, les plus récentes d’abord",
        [{ label: "N°" }, { label: "Fournisseur" }, { label: "Passée le" }, { label: "Attendue le" }, { label: "État" }],
        page.items.map((o) => [
          el("a", { href: `/achats?vue=commandes&commande=${o.id}`, "data-link": true }, o.number),
          o.supplier_name,
          date(o.created_at),
          o.expected_on ? date(o.expected_on) : "—",
          el("span", {}, ORDER_STATUS[o.status] || o.status, o.late ? el("span", { class: "badge badge-red" }, " En retard") : null),
        ]),
      ),
    );
  } catch (error) {
    fill(body, failure(error, "Les commandes sont indisponibles. "));
  }
}

async function orderDetail(body, id, can) {
  fill(body, loading("de la commande"));
  let order;
  try {
    order = await api("GET", `/api/v1/inventory/purchase-orders/${id}`);
  } catch (error) {
    return fill(body, failure(error, "Commande indisponible. "));
  }
  const messages = el("div", { class: "messages", "aria-live": "polite" });
  const pdf = el("button", { type: "button", onclick: () => busy(pdf, messages, async () => download(await api("GET", `/api/v1/inventory/purchase-orders/${id}/document`))) }, "Télécharger le PDF");
  const email = el("button", { type: "button", onclick: () => busy(email, messages, async () => {
    await api("POST", `/api/v1/inventory/purchase-orders/${id}/email`, { idempotencyKey: newKey() });
    fill(messages, notice("ok", `Commande ${order.number} envoyée par e-mail au fournisseur.`));
  }) }, order.emailed_at ? "Renvoyer par e-mail" : "Envoyer par e-mail");
  const left = order.lines.filter((l) => l.received < l.quantity);
  fill(
    body,
    el("p", {}, el("a", { href: "/achats?vue=commandes", "data-link": true }, "← Toutes les commandes")),
    el("h2", {}, `Commande ${order.number} — ${order.supplier_name}`),
    el("p", { class: "lead", "data-order-status": order.status }, `${ORDER_STATUS[order.status] || order.status}. Passée le ${date(order.created_at)}${order.emailed_at ? `, envoyée le ${date(order.emailed_at)} à ${time(order.emailed_at)}` : ", pas encore envoyée"}${order.expected_on ? `, attendue le ${date(order.expected_on)}` : ""}.`),
    el("div", { class: "actions" }, pdf, can("manage_purchasing") ? email : null),
    messages,
    table(
      "Lignes",
      [{ label: "Article" }, { label: "Réf. fournisseur" }, { label: "Pour" }, { label: "Commandé", num: true }, { label: "Reçu", num: true }, { label: "Prix HT", num: true }],
      order.lines.map((l) => [el("span", {}, l.article_name, el("small", {}, ` ${l.sku}`)), l.supplier_reference || "—", l.location_code, number(l.quantity), number(l.received), l.unit_price ? euros(cents(l.unit_price)) : "—"]),
    ),
    order.receipts.length
      ? el("section", {}, el("h3", {}, "Réceptions"), el("ul", { class: "items" }, order.receipts.map((r) => el("li", {}, el("span", {}, `${date(r.received_at)} ${time(r.received_at)}${r.delivery_note ? ` — BL ${r.delivery_note}` : ""}`), el("span", { class: "qty" }, `${number(r.lines.reduce((s, x) => s + x.quantity, 0))} article(s)`)))))
      : null,
    left.length && can("receive_and_count_stock") ? receiptForm(order, left, () => orderDetail(body, id, can)) : left.length ? null : el("p", { class: "ok" }, "Tout est reçu."),
  );
}

function receiptForm(order, left, reload) {
  const note = el("input", { id: "bon-livraison", type: "text", autocomplete: "off", maxlength: 60 });
  const inputs = left.map((l) => el("input", { type: "number", inputmode: "numeric", min: 0, max: l.quantity - l.received, step: 1, value: l.quantity - l.received, class: "qty-input", "aria-label": `Quantité reçue : ${l.article_name}` }));
  const messages = el("div", { class: "messages", "aria-live": "polite" });
  const save = el("button", { type: "submit", class: "primary" }, "Enregistrer la réception");
  const form = el(
    "form",
    { class: "panel receipt", novalidate: true, onsubmit: submit, "aria-labelledby": "titre-reception" },
    el("h3", { id: "titre-reception" }, "Réceptionner la livraison"),
    el("p", { class: "hint" }, "Saisissez ce qui est arrivé (le reste à recevoir est proposé) ; 0 pour une ligne absente du colis. Le stock augmente à l’enregistrement."),
    field("N° du bon de livraison (facultatif)", note),
    table(null, [{ label: "Article" }, { label: "Reste à recevoir", num: true }, { label: "Reçu maintenant", num: true }], left.map((l, i) => [l.article_name, number(l.quantity - l.received), inputs[i]])),
    messages,
    el("div", { class: "actions" }, save),
  );
  return form;

  async function submit(event) {
    event.preventDefault();
    const lines = [];
    for (const [i, l] of left.entries()) {
      const quantity = Number(inputs[i].value || 0);
      if (!Number.isInteger(quantity) || quantity < 0) return fill(messages, notice("error", `${l.article_name} : un nombre entier, zéro ou plus.`));
      if (quantity) lines.push({ article_id: l.article_id, location_id: l.location_id, quantity });
    }
    if (!lines.length) return fill(messages, notice("error", "Rien de reçu : saisissez au moins une quantité."));
    await busy(save, messages, async () => {
      await api("POST", `/api/v1/inventory/purchase-orders/${order.id}/receipts`, { body: { delivery_note: note.value.trim() || null, lines }, idempotencyKey: newKey() });
      await reload();
    });
  }
}

// --- price lists -----------------------------------------------------------------------------------

const MAPPED = [
  { key: "reference", label: "Référence fournisseur", required: true, guess: /r[ée]f/i },
  { key: "price", label: "Prix d’achat HT", required: true, guess: /prix.*(ht|achat|net)|^prix$|tarif/i },
  { key: "name", label: "Désignation", guess: /d[ée]signation|libell|nom/i },
  { key: "sku", label: "Notre référence (SKU)", guess: /sku|code article/i },
  { key: "ean", label: "Code-barres (EAN)", guess: /ean|gencod|code.?barre/i },
  { key: "retail_price", label: "Prix public TTC", guess: /public|ttc|conseill/i },
  { key: "pack_size", label: "Conditionnement", guess: /condition|colis|lot/i },
];

const PROBLEMS = [
  [/^missing reference/, "référence manquante"],
  [/^duplicate: also on line (\d+)/, "en double (déjà ligne $1)"],
  [/^missing price/, "prix manquant"],
  [/^not a price: (.*)/, "prix illisible : $1"],
  [/^not a number: (.*)/, "prix illisible : $1"],
  [/^too large/, "prix trop grand"],
  [/^more than two decimals: (.*)/, "plus de deux décimales : $1"],
  [/^not a whole number: (.*)/, "pas un nombre entier : $1"],
];
const FIELDS = { reference: "Référence", price: "Prix", retail_price: "Prix public", pack_size: "Conditionnement" };

/** A problem of a price list's line, in French. */
export function frenchProblem(message) {
  for (const [pattern, french] of PROBLEMS) if (pattern.test(message)) return message.replace(pattern, french);
  return message;
}

/** The header row's columns, with the separator the service would guess. */
export function headerColumns(content) {
  const header = content.replace(/^\ufeff/, "").split(/\r?\n/, 1)[0];
  const delimiter = [";", ",", "\t", "|"].reduce((best, d) => (header.split(d).length > header.split(best).length ? d : best), ";");
  return header.split(delimiter).map((c) => c.trim().replace(/^"|"$/g, "")).filter(Boolean);
}

async function priceLists(body) {
  const supplier = el("select", { id: "fournisseur" }, el("option", { value: "" }, "— choisir —"));
  const file = el("input", { id: "fichier-tarif", type: "file", accept: ".csv,.txt,text/csv" });
  const mappingPlace = el("div", {});
  const report = el("div", { "aria-live": "polite" });
  const previewButton = el("button", { type: "submit", class: "primary" }, "Vérifier le fichier");
  const state = { content: null, mapping: null, selects: null };
  fill(
    body,
    el("p", { class: "lead" }, "Importez le tarif d’un fournisseur (CSV, tel qu’exporté d’un tableur). Bassin vérifie chaque ligne avant de changer quoi que ce soit : références inconnues, prix illisibles, hausses ou baisses fortes. Vous appliquez ensuite les lignes correctes."),
    el(
      "form",
      { class: "panel price-list", novalidate: true, onsubmit: preview },
      el("div", { class: "form-grid" }, field("Fournisseur", supplier), field("Fichier du tarif (CSV)", file)),
      mappingPlace,
      el("div", { class: "actions" }, previewButton),
    ),
    report,
  );
  try {
    const suppliers = (await everyPage("/api/v1/inventory/suppliers", {}, 10)).items;
    supplier.append(...suppliers.map((s) => el("option", { value: s.id }, s.name)));
    if (!suppliers.length) fill(report, notice("info", "Aucun fournisseur pour l’instant : créez-en un avant d’importer son tarif."));
  } catch (error) {
    fill(report, failure(error, "Les fournisseurs sont indisponibles. "));
  }
  supplier.addEventListener("change", () => {
    state.mapping = null;
    state.selects = null;
    mappingPlace.replaceChildren();
  });
  file.addEventListener("change", () => {
    state.content = null;
    if (state.selects) showMapping(); // the new file's columns
  });

  async function readFile() {
    const chosen = file.files[0];
    if (!chosen) return null;
    const bytes = await chosen.arrayBuffer();
    const utf8 = new TextDecoder("utf-8").decode(bytes);
    // A spreadsheet on Windows often saves in Windows-1252: read it so when UTF-8 fails.
    return utf8.includes("\ufffd") ? new TextDecoder("windows-1252").decode(bytes) : utf8;
  }

  function showMapping(saved = {}) {
    const columns = headerColumns(state.content || "");
    state.selects = {};
    const fields = MAPPED.map((m) => {
      const select = el("select", { id: `colonne-${m.key}` }, el("option", { value: "" }, m.required ? "— choisir —" : "(absente)"), columns.map((c) => el("option", { value: c }, c)));
      select.value = saved[m.key] || columns.find((c) => m.guess.test(c)) || "";
      state.selects[m.key] = select;
      return field(`${m.label}${m.required ? " *" : ""}`, select);
    });
    fill(
      mappingPlace,
      el("fieldset", { class: "mapping" }, el("legend", {}, "Correspondance des colonnes"), el("p", { class: "hint" }, "Quelle colonne du fichier contient quoi. Elle est enregistrée pour ce fournisseur à l’import : la prochaine fois, rien à refaire."), el("div", { class: "mapping-grid" }, fields)),
    );
  }

  function chosenMapping() {
    if (!state.selects) return null;
    const mapping = {};
    for (const m of MAPPED) mapping[m.key] = state.selects[m.key].value || null;
    return mapping;
  }

  async function preview(event) {
    event.preventDefault();
    if (!supplier.value) return fill(report, notice("error", "Choisissez le fournisseur du tarif."));
    state.content = state.content || (await readFile());
    if (!state.content) return fill(report, notice("error", "Choisissez le fichier du tarif."));
    const mapping = chosenMapping();
    if (mapping && (!mapping.reference || !mapping.price)) return fill(report, notice("error", "Indiquez au moins les colonnes de la référence et du prix."));
    fill(report, loading("du contrôle des lignes"));
    await busy(previewButton, null, async () => {
      try {
        const answer = await api("POST", `/api/v1/inventory/suppliers/${supplier.value}/price-lists/preview`, { body: { content: state.content, mapping } });
        state.mapping = mapping;
        showReport(answer);
      } catch (error) {
        if (error instanceof ApiError && error.status === 422 && Object.keys(error.errors).some((k) => k.startsWith("mapping"))) {
          showMapping(mapping || {});
          fill(report, notice("info", mapping ? "Les colonnes choisies ne sont pas dans le fichier : vérifiez la correspondance." : "Premier tarif de ce fournisseur (ou colonnes différentes) : indiquez quelle colonne contient quoi, puis vérifiez à nouveau."));
          return;
        }
        fill(report, failure(error, "Le fichier n’a pas pu être vérifié. "));
      }
    });
  }

  function showReport(r) {
    const good = r.price_changes + r.new_offers + r.unchanged - (r.jump_count || 0);
    const accept = el("input", { type: "checkbox", id: "accepter-hausses" });
    const create = el("input", { type: "checkbox", id: "creer-inconnus" });
    const apply = el("button", { type: "button", class: "primary", onclick: () => applyList() }, "Appliquer les lignes correctes");
    const done = el("div", { "aria-live": "polite" });
    fill(
      report,
      el("h2", {}, "Rapport de contrôle"),
      figures([
        ["Lignes lues", number(r.lines), "lines"],
        ["Prix modifiés", number(r.price_changes), "changes"],
        ["Inchangés", number(r.unchanged), "unchanged"],
        ["Nouvelles offres", number(r.new_offers), "new"],
        ["Références inconnues", number(r.unknown), "unknown"],
        ["Variations fortes", number(r.jump_count), "jumps"],
        ["Lignes en erreur", number(r.problem_count), "problems"],
      ]),
      r.problems.length
        ? table(`Lignes en erreur (${number(r.problem_count)}) : elles ne seront pas importées`, [{ label: "Ligne", num: true }, { label: "Référence" }, { label: "Colonne" }, { label: "Problème" }], r.problems.map((p) => [String(p.line), p.reference || "—", FIELDS[p.field] || p.field, frenchProblem(p.message)]), { class: "report-problems" })
        : null,
      r.jumps.length
        ? table(`Variations de prix de plus de ${r.price_jump_percent.replace(".", ",")} % (${number(r.jump_count)})`, [{ label: "Ligne", num: true }, { label: "Référence" }, { label: "Ancien prix", num: true }, { label: "Nouveau prix", num: true }, { label: "Variation", num: true }], r.jumps.map((j) => [String(j.line), j.reference, euros(cents(j.old_price)), euros(cents(j.new_price)), `${j.change_percent.startsWith("-") ? "" : "+"}${j.change_percent.replace(".", ",")} %`]), { class: "report-jumps" })
        : null,
      r.unknown_lines.length
        ? table(`Références inconnues (${number(r.unknown)}) : aucun article ne leur correspond`, [{ label: "Ligne", num: true }, { label: "Référence" }, { label: "Désignation" }], r.unknown_lines.map((u) => [String(u.line), u.reference, u.name || "—"]), { class: "report-unknown" })
        : null,
      el(
        "div",
        { class: "panel" },
        el("h3", {}, "Appliquer"),
        el("p", {}, good > 1 ? `${number(good)} lignes correctes seront appliquées ; les lignes en erreur sont ignorées.` : `${good > 0 ? "1 ligne correcte sera appliquée" : "Aucune ligne à appliquer"} ; les lignes en erreur sont ignorées.`),
        r.jump_count ? el("div", { class: "check" }, accept, el("label", { for: "accepter-hausses" }, "Appliquer aussi les variations fortes (vérifiées)")) : null,
        r.unknown ? el("div", { class: "check" }, create, el("label", { for: "creer-inconnus" }, "Créer les articles des références inconnues")) : null,
        el("div", { class: "actions" }, apply, el("button", { type: "button", class: "quiet", onclick: () => showMapping(state.mapping || {}) }, "Changer la correspondance des colonnes")),
        done,
      ),
    );

    async function applyList() {
      await busy(apply, done, async () => {
        const result = await api("POST", `/api/v1/inventory/suppliers/${supplier.value}/price-lists`, {
          body: { content: state.content, mapping: state.mapping, accept_price_jumps: accept.checked, unknown: create.checked ? "create" : "skip" },
          idempotencyKey: newKey(),
        });
        apply.hidden = true;
        fill(
          done,
          notice("ok", `Tarif appliqué : ${number(result.repriced)} prix mis à jour, ${number(result.offers_added)} offre(s) ajoutée(s), ${number(result.articles_created)} article(s) créé(s)${result.skipped_jumps ? `, ${number(result.skipped_jumps)} variation(s) forte(s) laissée(s) de côté` : ""}, ${number(result.problem_count)} ligne(s) en erreur ignorée(s). La correspondance des colonnes est enregistrée pour ce fournisseur.`),
        );
      });
    }
  }
}

// --- stock counts (inventaire) --------------------------------------------------------------------

async function counts(body) {
  const location = el("select", { id: "emplacement" }, el("option", { value: "" }, "— choisir —"));
  const sheet = el("div", {});
  fill(
    body,
    el("p", { class: "lead" }, "Comptez un emplacement : saisissez ce que vous trouvez en rayon (laissez vide ce que vous n’avez pas compté). À l’enregistrement, le stock est corrigé et le rapport des écarts est gardé."),
    el("div", { class: "search-field" }, field("Emplacement compté", location)),
    sheet,
  );
  try {
    const locations = (await everyPage("/api/v1/inventory/locations", {}, 5)).items;
    location.append(...locations.map((l) => el("option", { value: l.id }, `${l.name} (${l.code})`)));
  } catch (error) {
    return fill(sheet, failure(error, "Les emplacements sont indisponibles. "));
  }
  location.addEventListener("change", () => (location.value ? countSheet(sheet, location.value, location.selectedOptions[0].textContent) : sheet.replaceChildren()));
}

async function countSheet(sheet, locationId, locationName) {
  fill(sheet, loading("du stock de l’emplacement"));
  let levels;
  try {
    levels = (await everyPage(`/api/v1/inventory/locations/${locationId}/stock`, {}, 20)).items;
  } catch (error) {
    return fill(sheet, failure(error, "Le stock de cet emplacement est indisponible. "));
  }
  if (!levels.length) return fill(sheet, el("p", { class: "empty" }, "Rien n’est stocké à cet emplacement."));
  const note = el("input", { id: "note-inventaire", type: "text", maxlength: 200, autocomplete: "off" });
  const inputs = levels.map((l) => el("input", { type: "number", inputmode: "numeric", min: 0, step: 1, class: "qty-input", "aria-label": `Compté : ${l.article_name} (${l.sku})`, "data-sku": l.sku }));
  const messages = el("div", { "aria-live": "polite" });
  const save = el("button", { type: "submit", class: "primary" }, "Enregistrer l’inventaire");
  fill(
    sheet,
    el(
      "form",
      { novalidate: true, onsubmit: submit },
      table(`Feuille de comptage — ${locationName}`, [{ label: "Article" }, { label: "En stock (livres)", num: true }, { label: "Compté", num: true }], levels.map((l, i) => [el("span", {}, l.article_name, el("small", {}, ` ${l.sku}`)), number(l.quantity), inputs[i]])),
      field("Note (facultatif)", note),
      messages,
      el("div", { class: "actions" }, save),
    ),
  );

  async function submit(event) {
    event.preventDefault();
    const lines = [];
    for (const [i, l] of levels.entries()) {
      const text = inputs[i].value.trim();
      if (!text) continue;
      if (!/^\d+$/.test(text)) return fill(messages, notice("error", `${l.article_name} : un nombre entier, zéro ou plus.`));
      lines.push({ article_id: l.article_id, counted: Number(text) });
    }
    if (!lines.length) return fill(messages, notice("error", "Aucune quantité saisie : comptez au moins un article."));
    await busy(save, messages, async () => {
      const count = await api("POST", "/api/v1/inventory/stock-counts", { body: { location_id: locationId, note: note.value.trim() || null, lines }, idempotencyKey: newKey() });
      fill(sheet, countReport(count, new Map(levels.map((l) => [l.article_id, l])), locationName));
    });
  }
}

function countReport(count, articles, locationName) {
  const moved = count.lines.filter((l) => l.variance !== 0);
  const name = (id) => (articles.get(id) ? `${articles.get(id).article_name} (${articles.get(id).sku})` : id);
  return el(
    "section",
    { class: "panel", "aria-labelledby": "titre-ecarts" },
    el("h2", { id: "titre-ecarts" }, `Rapport d’écarts — ${locationName}`),
    el("p", { class: "muted" }, `Inventaire du ${date(count.counted_at)} à ${time(count.counted_at)}${count.note ? ` — ${count.note}` : ""}. ${number(count.lines.length)} article(s) compté(s), ${number(moved.length)} écart(s) ; le stock est corrigé.`),
    table(
      null,
      [{ label: "Article" }, { label: "Attendu", num: true }, { label: "Compté", num: true }, { label: "Écart", num: true }],
      count.lines.map((l) => el("tr", { class: l.variance ? "low" : null }, el("td", {}, name(l.article_id)), el("td", { class: "num" }, number(l.expected)), el("td", { class: "num" }, number(l.counted)), el("td", { class: "num", "data-variance": l.variance }, `${l.variance > 0 ? "+" : ""}${number(l.variance)}`))),
      { class: "count-report" },
    ),
  );
}


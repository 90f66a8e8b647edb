// The dashboard: each widget answers "what must I do now?" with a count, the first items
// and a link to where it is done. One request (GET /api/v1/dashboard) brings every part;
// a part whose service is slow or down comes marked, and its widget says so while the
// others show their part. Each user chooses the widgets shown and their order
// (« Personnaliser ») — kept on the server (/ui/dashboard-widgets), so the choice follows
// the user from one computer to another.

import { api, ApiError } from "../api.js";
import { el, fill, notice } from "../dom.js";
import { cents, date, euros, longDate, number, startOfToday, time } from "../format.js";

export const WIDGETS = [
  { id: "caisse", part: "till", title: "Caisse du jour", requires: "read_business_data", show: todaysTill },
  { id: "panier", part: "supplier_basket", title: "Stock à réapprovisionner", requires: "manage_stock", show: supplierBasket },
  { id: "factures", part: "invoices_to_check", title: "Factures à vérifier", requires: "manage_invoices", show: invoicesToCheck },
  { id: "livraisons", part: "deliveries", title: "Livraisons attendues", requires: "manage_stock", show: expectedDeliveries },
];
const MISSING = {
  unavailable: "le service ne répond pas ou n’atteint pas sa base de données",
  late: "le service n’a pas répondu à temps",
  failed: "erreur inattendue",
  not_allowed: "votre rôle ne le permet pas",
};

export default {
  render(main, { can, user }) {
    const name = (user && user.full_name ? user.full_name.split(" ")[0] : "") || "";
    const grid = el("div", { class: "widgets" });
    const choice = el("div", {});
    const allowed = WIDGETS.filter((w) => can(w.requires));
    const customise = el("button", { type: "button", class: "quiet", "aria-expanded": "false", onclick: () => choose(choice, customise, allowed, grid, can) }, "Personnaliser le tableau de bord");
    fill(
      main,
      el("div", { class: "page-head" }, el("h1", {}, "Tableau de bord"), allowed.length > 1 ? customise : null),
      el("p", { class: "lead" }, `Bonjour${name ? " " + name : ""}, nous sommes le ${longDate(new Date())}.`),
      choice,
      grid,
    );
    chosenWidgets(allowed).then((shown) => show(grid, shown, can));
  },
};

/** The widgets the user chose, in order (those its role may read), or every one allowed. */
async function chosenWidgets(allowed) {
  try {
    const { widgets } = await api("GET", "/ui/dashboard-widgets");
    if (!widgets) return allowed;
    return widgets.map((id) => allowed.find((w) => w.id === id)).filter(Boolean);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return allowed; // the choice unreadable: every widget, rather than none
  }
}

/** The form choosing the widgets and their order (a checkbox and up/down buttons each). */
async function choose(place, toggle, allowed, grid, can) {
  if (toggle.getAttribute("aria-expanded") === "true") {
    toggle.setAttribute("aria-expanded", "false");
    return place.replaceChildren();
  }
  toggle.setAttribute("aria-expanded", "true");
  const shown = await chosenWidgets(allowed);
  const order = [...shown, ...allowed.filter((w) => !shown.includes(w))].map((w) => ({ widget: w, on: shown.includes(w) }));
  const list = el("ol", { class: "widget-choice", "aria-label": "Widgets, dans l’ordre d’affichage" });
  const messages = el("div", { "aria-live": "polite" });
  const draw = (focus) => {
    fill(
      list,
      order.map((entry, i) => {
        const id = `widget-choisi-${entry.widget.id}`;
        const box = el("input", { type: "checkbox", id, checked: entry.on, onchange: () => { entry.on = box.checked; } });
        const move = (by, label, symbol) => el("button", { type: "button", "aria-label": `${label} : ${entry.widget.title}`, disabled: i + by < 0 || i + by >= order.length, onclick: () => { order.splice(i + by, 0, order.splice(i, 1)[0]); draw(`${symbol}-${entry.widget.id}`); }, "data-move": `${symbol}-${entry.widget.id}` }, symbol === "haut" ? "↑" : "↓");
        return el("li", { "data-choice": entry.widget.id }, el("span", { class: "check" }, box, el("label", { for: id }, entry.widget.title)), move(-1, "Monter", "haut"), move(1, "Descendre", "bas"));
      }),
    );
    if (focus) {
      const button = list.querySelector(`[data-move="${focus}"]`);
      (button && !button.disabled ? button : list.querySelector(`[data-move="${focus.startsWith("haut") ? "bas" : "haut"}${focus.slice(focus.indexOf("-"))}"]`))?.focus();
    }
  };
  draw();
  const save = el("button", { type: "button", class: "primary", onclick: async () => {
    save.disabled = true;
    try {
      const { widgets } = await api("PUT", "/ui/dashboard-widgets", { body: { widgets: order.filter((e) => e.on).map((e) => e.widget.id) } });
      toggle.setAttribute("aria-expanded", "false");
      fill(place, notice("ok", "Tableau de bord enregistré : il s’affichera ainsi sur tous vos postes."));
      show(grid, widgets.map((id) => allowed.find((w) => w.id === id)).filter(Boolean), can);
    } catch (error) {
      save.disabled = false;
      if (!(error instanceof ApiError)) throw error;
      fill(messages, notice("error", "Le choix n’est pas enregistré. ", error.french));
    }
  } }, "Enregistrer");
  fill(
    place,
    el(
      "section",
      { class: "panel", "aria-labelledby": "titre-personnaliser" },
      el("h2", { id: "titre-personnaliser" }, "Personnaliser le tableau de bord"),
      el("p", { class: "hint" }, "Cochez les widgets à afficher et rangez-les avec les flèches : le premier s’affiche en haut."),
      list,
      messages,
      el("div", { class: "actions" }, save, el("button", { type: "button", onclick: () => { toggle.setAttribute("aria-expanded", "false"); place.replaceChildren(); } }, "Annuler")),
    ),
  );
}

function show(grid, shown, can) {
  grid.replaceChildren();
  if (!shown.length) grid.append(el("p", {}, "Aucun widget n’est affiché : choisissez-en avec « Personnaliser le tableau de bord »."));
  const bodies = new Map();
  for (const widget of shown) {
    const body = el("div", { class: "widget-body", "aria-live": "polite" }, el("p", { class: "muted" }, "Chargement…"));
    const titleId = `widget-${widget.id}`;
    grid.append(el("section", { class: "widget", "aria-labelledby": titleId, "data-widget": widget.id }, el("h2", { id: titleId }, widget.title), body));
    bodies.set(widget, body);
  }
  if (shown.length) load(bodies, can);
}

async function load(bodies, can) {
  let parts;
  try {
    parts = await api("GET", "/api/v1/dashboard", { query: { since: startOfToday() } });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    for (const body of bodies.values()) fill(body, notice("error", "Indisponible pour le moment. ", error.french), retry(bodies, can));
    return;
  }
  for (const [widget, body] of bodies) {
    const part = parts[widget.part];
    if (part.status === "ok") fill(body, ...widget.show(part, can));
    else fill(body, notice("error", `Indisponible pour le moment\u00a0: ${MISSING[part.status] || part.status}. Réessayez dans quelques secondes.`), retry(bodies, can));
  }
}

function retry(bodies, can) {
  return el("button", { type: "button", class: "quiet", onclick: () => load(bodies, can) }, "Réessayer");
}

function todaysTill(part, can) {
  const total = cents(part.total);
  const count = part.sales;
  const average = count ? Math.round(total / count) : 0;
  const recent = part.latest;
  const complete = part.complete;
  return [
    el(
      "dl",
      { class: "figures" },
      el("div", {}, el("dt", {}, "Chiffre d’affaires TTC"), el("dd", { class: "figure", "data-figure": "total" }, euros(total))),
      el("div", {}, el("dt", {}, "Ventes"), el("dd", { class: "figure", "data-figure": "count" }, `${number(count)}${complete ? "" : "+"}`)),
      el("div", {}, el("dt", {}, "Panier moyen"), el("dd", { class: "figure" }, euros(average))),
    ),
    recent.length
      ? el("ul", { class: "items" }, recent.map((sale) => el("li", {}, el("span", {}, `Vente de ${time(sale.completed_at)}`), el("span", { class: "amount" }, euros(cents(sale.total))))))
      : el("p", { class: "muted" }, "Aucune vente encore aujourd’hui."),
    can("record_sales") ? el("div", { class: "actions" }, el("a", { class: "button primary", href: "/caisse", "data-link": true }, "Ouvrir la caisse"), el("a", { class: "button", href: "/caisse/session", "data-link": true }, "Clôture et ticket Z")) : null,
  ];
}

function supplierBasket(part, can) {
  const review = can("manage_purchasing") ? "/achats?vue=panier" : "/stock?vue=panier";
  const lines = part.lines;
  const more = part.more;
  if (!lines.length) {
    return [el("p", { class: "ok" }, "Aucun article sous son seuil de réassort : rien à commander."), el("a", { class: "button", href: "/stock", "data-link": true }, "Voir le stock")];
  }
  return [
    el("p", { class: "count" }, more ? "Plus de 5 articles à commander ; les premiers :" : `${lines.length} article${lines.length > 1 ? "s" : ""} à commander :`),
    el(
      "ul",
      { class: "items" },
      lines.map((line) => el("li", {}, el("span", {}, line.article_name, el("small", {}, ` — ${line.supplier_name || "fournisseur à choisir"}`)), el("span", { class: "qty" }, `${number(line.quantity)} à commander`))),
    ),
    el("a", { class: "button primary", href: review, "data-link": true }, "Revoir le panier fournisseur"),
  ];
}

const KINDS = { invoice: "Facture", deposit: "Appel de fonds", credit_note: "Avoir" };

function invoicesToCheck(part) {
  if (!part.items.length) {
    return [el("p", { class: "ok" }, "Aucune facture en brouillon : tout est vérifié."), el("a", { class: "button", href: "/facturation?vue=factures", "data-link": true }, "Voir les factures")];
  }
  return [
    el("p", { class: "count" }, part.more ? "Plus de 5 brouillons à vérifier ; les premiers :" : `${part.items.length} brouillon${part.items.length > 1 ? "s" : ""} à vérifier :`),
    el(
      "ul",
      { class: "items" },
      part.items.map((item) => el("li", {}, el("a", { href: `/facturation?vue=${item.kind === "deposit" ? "appels" : "factures"}&facture=${item.id}`, "data-link": true }, `${KINDS[item.kind] || item.kind} — ${item.customer_name}`), el("span", { class: "amount" }, euros(cents(item.total_incl_vat))))),
    ),
    el("a", { class: "button primary", href: "/facturation?vue=factures", "data-link": true }, "Vérifier les factures"),
  ];
}

function expectedDeliveries(part, can) {
  if (!part.items.length) {
    return [el("p", { class: "ok" }, "Aucune commande fournisseur en attente de livraison."), el("a", { class: "button", href: "/achats?vue=commandes", "data-link": true }, "Voir les commandes")];
  }
  return [
    el(
      "ul",
      { class: "items" },
      part.items.map((order) => el("li", {}, el("a", { href: `/achats?vue=commandes&commande=${order.id}`, "data-link": true }, `${order.number} — ${order.supplier_name}`), el("span", { class: order.late ? "badge badge-red" : "qty" }, order.late ? "En retard" : order.expected_on ? `le ${date(order.expected_on)}` : "date à confirmer"))),
    ),
    can("receive_and_count_stock") ? el("a", { class: "button primary", href: "/achats?vue=commandes", "data-link": true }, "Réceptionner une livraison") : null,
  ];
}

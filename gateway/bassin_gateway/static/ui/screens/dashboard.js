// The dashboard: each widget answers "what must I do now?" with a count, the first items
// and a link to where it is done. One request (GET /api/v1/dashboard) brings every part;
// a part whose service is slow or down comes marked, and its widget says so while the
// others show their part.

import { api, ApiError } from "../api.js";
import { el, fill, notice } from "../dom.js";
import { cents, euros, longDate, number, startOfToday, time } from "../format.js";

const WIDGETS = [
  { id: "caisse", part: "till", title: "Caisse du jour", requires: "read_business_data", show: todaysTill },
  { id: "panier", part: "supplier_basket", title: "Stock à réapprovisionner", requires: "manage_stock", show: supplierBasket },
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
    fill(main, el("h1", {}, "Tableau de bord"), el("p", { class: "lead" }, `Bonjour${name ? " " + name : ""}, nous sommes le ${longDate(new Date())}.`), grid);
    const shown = WIDGETS.filter((w) => can(w.requires));
    if (!shown.length) grid.append(el("p", {}, "Aucun tableau n’est ouvert à votre rôle pour l’instant."));
    const bodies = new Map();
    for (const widget of shown) {
      const body = el("div", { class: "widget-body", "aria-live": "polite" }, el("p", { class: "muted" }, "Chargement…"));
      const titleId = `widget-${widget.id}`;
      grid.append(el("section", { class: "widget", "aria-labelledby": titleId, "data-widget": widget.id }, el("h2", { id: titleId }, widget.title), body));
      bodies.set(widget, body);
    }
    if (shown.length) load(bodies, can);
  },
};

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
    can("record_sales") ? el("a", { class: "button primary", href: "/caisse", "data-link": true }, "Ouvrir la caisse") : null,
  ];
}

function supplierBasket(part) {
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
    el("a", { class: "button primary", href: "/stock?vue=panier", "data-link": true }, "Revoir le panier fournisseur"),
  ];
}

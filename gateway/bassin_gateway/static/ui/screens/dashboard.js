// The dashboard: each widget answers "what must I do now?" with a count, the first items
// and a link to where it is done. Each loads on its own: one service down leaves the others.

import { api, ApiError, everyPage } from "../api.js";
import { el, fill, notice } from "../dom.js";
import { cents, euros, longDate, number, startOfToday, time } from "../format.js";

const WIDGETS = [
  { id: "caisse", title: "Caisse du jour", requires: "read_business_data", load: todaysTill },
  { id: "panier", title: "Stock à réapprovisionner", requires: "manage_stock", load: supplierBasket },
];

export default {
  render(main, { can, user }) {
    const name = (user && user.full_name ? user.full_name.split(" ")[0] : "") || "";
    const grid = el("div", { class: "widgets" });
    fill(main, el("h1", {}, "Tableau de bord"), el("p", { class: "lead" }, `Bonjour${name ? " " + name : ""}, nous sommes le ${longDate(new Date())}.`), grid);
    const shown = WIDGETS.filter((w) => can(w.requires));
    if (!shown.length) grid.append(el("p", {}, "Aucun tableau n’est ouvert à votre rôle pour l’instant."));
    for (const widget of shown) {
      const body = el("div", { class: "widget-body", "aria-live": "polite" }, el("p", { class: "muted" }, "Chargement…"));
      const titleId = `widget-${widget.id}`;
      grid.append(el("section", { class: "widget", "aria-labelledby": titleId, "data-widget": widget.id }, el("h2", { id: titleId }, widget.title), body));
      load(widget, body, can);
    }
  },
};

async function load(widget, body, can) {
  try {
    fill(body, ...(await widget.load(can)));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    fill(body, notice("error", "Indisponible pour le moment. ", error.french), el("button", { type: "button", class: "quiet", onclick: () => load(widget, body, can) }, "Réessayer"));
  }
}

async function todaysTill(can) {
  const { items, complete } = await everyPage("/api/v1/pos/sales", { since: startOfToday() }, 25);
  const total = items.reduce((sum, sale) => sum + cents(sale.total), 0);
  const count = items.length;
  const average = count ? Math.round(total / count) : 0;
  const recent = items.slice(0, 5);
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

async function supplierBasket() {
  const page = await api("GET", "/api/v1/inventory/supplier-basket/lines", { query: { limit: 6 } });
  const lines = page.items.slice(0, 5);
  const more = page.items.length > 5 || page.next;
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

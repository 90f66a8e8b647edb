// Stock: article search (as you type, a page at a time) with the stock at every location,
// and the supplier basket (what the reorder thresholds put there), by supplier.

import { api, ApiError } from "../api.js";
import { debounce, el, fill, notice } from "../dom.js";
import { cents, date, euros, number, time } from "../format.js";

export default {
  render(main, { can, navigate }) {
    const view = new URLSearchParams(location.search).get("vue") === "panier" && can("manage_stock") ? "panier" : "articles";
    const tabs = [
      { id: "articles", label: "Articles et stock", href: "/stock" },
      ...(can("manage_stock") ? [{ id: "panier", label: "Panier fournisseur", href: "/stock?vue=panier" }] : []),
    ];
    const body = el("div", {});
    fill(
      main,
      el("h1", {}, "Stock"),
      tabs.length > 1
        ? el("nav", { class: "tabs", "aria-label": "Vues du stock" }, tabs.map((t) => el("a", { href: t.href, "data-link": true, "aria-current": t.id === view ? "page" : null }, t.label)))
        : null,
      body,
    );
    if (view === "panier") basket(body);
    else articles(body, navigate);
  },
};

// --- articles --------------------------------------------------------------------------------

function articles(body) {
  const search = el("input", { id: "recherche-article", type: "search", autocomplete: "off", spellcheck: "false", placeholder: "ex. chlore, CHL-GAL-5KG" });
  const list = el("div", { class: "article-list", "aria-live": "polite" });
  const more = el("button", { type: "button", class: "quiet", hidden: true }, "Afficher plus d’articles");
  fill(
    body,
    el("div", { class: "field search-field" }, el("label", { for: "recherche-article" }, "Rechercher un article (référence ou nom)"), search),
    list,
    more,
  );
  let query = "";
  let cursor = null;
  let generation = 0;

  const run = async (append) => {
    const mine = ++generation;
    if (!append) cursor = null;
    try {
      const page = await api("GET", "/api/v1/inventory/articles", { query: { q: query, limit: 25, ...(cursor ? { cursor } : {}) } });
      if (mine !== generation) return; // an older search answered late
      if (!append) list.replaceChildren();
      if (!append && !page.items.length) {
        list.append(el("p", { class: "empty" }, query ? `Aucun article ne correspond à « ${query} ». Vérifiez la référence, ou cherchez une partie du nom.` : "Aucun article au catalogue pour l’instant."));
      } else {
        if (!list.querySelector("ul")) list.append(el("ul", { class: "articles" }));
        list.querySelector("ul").append(...page.items.map(articleItem));
      }
      cursor = page.next;
      more.hidden = !cursor;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      fill(list, notice("error", "La recherche n’a pas abouti. ", error.french));
    }
  };
  search.addEventListener("input", debounce(() => {
    query = search.value.trim();
    run(false);
  }, 250));
  more.addEventListener("click", () => run(true));
  run(false);
  search.focus();
}

function articleItem(article) {
  const detail = el("div", { class: "stock-detail", hidden: true });
  const toggle = el("button", { type: "button", class: "article-toggle", "aria-expanded": "false", onclick: open },
    el("span", { class: "name" }, article.name),
    el("span", { class: "sku" }, article.sku),
    el("span", { class: "price" }, euros(cents(article.sale_price)), el("small", {}, " TTC")),
  );
  return el("li", { class: "article", "data-sku": article.sku }, toggle, detail);

  async function open() {
    const opening = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(opening));
    detail.hidden = !opening;
    if (!opening) return;
    fill(detail, el("p", { class: "muted" }, "Chargement du stock…"));
    try {
      const full = await api("GET", `/api/v1/inventory/articles/${article.id}`);
      fill(detail, stockTable(full));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      fill(detail, notice("error", "Stock indisponible. ", error.french));
    }
  }
}

function stockTable(article) {
  if (!article.stock.length) return el("p", { class: "empty" }, "Cet article n’est stocké nulle part.");
  const total = article.stock.reduce((sum, s) => sum + s.quantity, 0);
  return el(
    "div",
    { class: "table-wrap" },
    el(
      "table",
      { class: "stock" },
      el("caption", {}, `Stock de ${article.name} : ${number(total)} au total — prix d’achat HT ${euros(cents(article.purchase_price))}`),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Emplacement"), el("th", { scope: "col", class: "num" }, "Quantité"), el("th", { scope: "col", class: "num" }, "Mini"), el("th", { scope: "col", class: "num" }, "Maxi"), el("th", { scope: "col" }, "État"))),
      el(
        "tbody",
        {},
        article.stock.map((s) => {
          const managed = s.maximum > 0;
          const low = managed && s.quantity < s.minimum;
          return el(
            "tr",
            { class: low ? "low" : null },
            el("th", { scope: "row" }, s.location_name, el("small", {}, ` ${s.location_code}`)),
            el("td", { class: "num" }, number(s.quantity)),
            el("td", { class: "num" }, managed ? number(s.minimum) : "—"),
            el("td", { class: "num" }, managed ? number(s.maximum) : "—"),
            el("td", {}, el("span", { class: `badge ${low ? "badge-red" : s.quantity <= 0 ? "badge-orange" : managed ? "badge-green" : "badge-grey"}` }, low ? "Sous le seuil" : s.quantity <= 0 ? "Épuisé" : managed ? "Correct" : "Non géré")),
          );
        }),
      ),
    ),
  );
}

// --- the supplier basket -------------------------------------------------------------------------

async function basket(body) {
  fill(body, el("p", { class: "muted" }, "Chargement du panier fournisseur…"));
  try {
    const lines = [];
    let cursor = null;
    do {
      const page = await api("GET", "/api/v1/inventory/supplier-basket/lines", { query: { limit: 200, ...(cursor ? { cursor } : {}) } });
      lines.push(...page.items);
      cursor = page.next;
    } while (cursor && lines.length < 2000);
    if (!lines.length) {
      fill(body, el("p", { class: "empty ok" }, "Le panier fournisseur est vide : aucun article n’est passé sous son seuil de réassort. Les articles y arrivent seuls quand une vente fait passer leur stock sous le minimum."));
      return;
    }
    const bySupplier = new Map();
    for (const line of lines) {
      const name = line.supplier_name || "Fournisseur à choisir";
      if (!bySupplier.has(name)) bySupplier.set(name, []);
      bySupplier.get(name).push(line);
    }
    fill(
      body,
      el("p", { class: "lead" }, `${number(lines.length)} article${lines.length > 1 ? "s" : ""} à commander chez ${number(bySupplier.size)} fournisseur${bySupplier.size > 1 ? "s" : ""}. Les quantités ramènent chaque stock à son maximum.`),
      [...bySupplier].map(([supplier, items]) =>
        el(
          "section",
          { class: "supplier", "aria-label": supplier },
          el("h2", {}, supplier, el("small", {}, ` — ${items.length} ligne${items.length > 1 ? "s" : ""}`)),
          el(
            "div",
            { class: "table-wrap" },
            el(
              "table",
              {},
              el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Article"), el("th", { scope: "col", class: "num" }, "À commander"), el("th", { scope: "col" }, "Mis à jour"))),
              el("tbody", {}, items.map((line) => el("tr", {}, el("td", {}, line.article_name, el("small", {}, ` ${line.sku}`)), el("td", { class: "num" }, number(line.quantity)), el("td", {}, `${date(line.updated_at)} ${time(line.updated_at)}`)))),
            ),
          ),
        ),
      ),
    );
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    fill(body, notice("error", "Le panier fournisseur est indisponible. ", error.french));
  }
}

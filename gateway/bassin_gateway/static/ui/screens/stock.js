// Stock: article search (as you type, a page at a time) with the stock at every location,
// and the supplier basket (what the reorder thresholds put there), by supplier.

import { api, ApiError, frenchMessages } from "../api.js";
import { debounce, el, field, fieldError, fill, notice } from "../dom.js";
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
    if (view === "panier") basket(body, can);
    else articles(body, can);
  },
};

// --- articles --------------------------------------------------------------------------------

function articles(body, can) {
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
        list.querySelector("ul").append(...page.items.map((article) => articleItem(article, can)));
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

function articleItem(article, can) {
  const detail = el("div", { class: "stock-detail", hidden: true });
  const toggle = el("button", { type: "button", class: "article-toggle", "aria-expanded": "false", onclick: open },
    el("span", { class: "name" }, article.name),
    el("span", { class: "sku" }, article.sku),
    el("span", { class: "price" }, euros(cents(article.sale_price)), el("small", {}, " TTC")),
  );
  return el("li", { class: "article", "data-sku": article.sku, "data-id": article.id }, toggle, detail);

  async function open() {
    const opening = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(opening));
    detail.hidden = !opening;
    if (opening) {
      fill(detail, el("p", { class: "muted" }, "Chargement du stock…"));
      await load();
    }
  }

  async function load() {
    try {
      const full = await api("GET", `/api/v1/inventory/articles/${article.id}`);
      fill(detail, stockTable(full, can("manage_stock") ? (level) => editThresholds(detail, full, level, load) : null));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      fill(detail, notice("error", "Stock indisponible. ", error.french));
    }
  }
}

function stockTable(article, edit) {
  if (!article.stock.length) return el("p", { class: "empty" }, "Cet article n’est stocké nulle part.");
  const total = article.stock.reduce((sum, s) => sum + s.quantity, 0);
  return el(
    "div",
    { class: "table-wrap" },
    el(
      "table",
      { class: "stock" },
      el("caption", {}, `Stock de ${article.name} : ${number(total)} au total — prix d’achat HT ${euros(cents(article.purchase_price))}`),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Emplacement"), el("th", { scope: "col", class: "num" }, "Quantité"), el("th", { scope: "col", class: "num" }, "Mini"), el("th", { scope: "col", class: "num" }, "Maxi"), el("th", { scope: "col" }, "État"), edit ? el("th", { scope: "col" }, el("span", { class: "visually-hidden" }, "Actions")) : null)),
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
            edit ? el("td", {}, el("button", { type: "button", class: "quiet", "aria-label": `Modifier les seuils : ${s.location_name}`, onclick: () => edit(s) }, "Modifier les seuils")) : null,
            el("td", {}, el("span", { class: `badge ${low ? "badge-red" : s.quantity <= 0 ? "badge-orange" : managed ? "badge-green" : "badge-grey"}` }, low ? "Sous le seuil" : s.quantity <= 0 ? "Épuisé" : managed ? "Correct" : "Non géré")),
          );
        }),
      ),
    ),
  );
}

/** The reorder thresholds of one level, changed if nobody changed them since they were read
 * (If-Match: the level's version); errors next to their field, in French. */
function editThresholds(detail, article, level, reload) {
  const minimum = el("input", { id: `seuil-min-${level.location_id}`, type: "number", inputmode: "numeric", min: 0, step: 1, value: level.minimum });
  const maximum = el("input", { id: `seuil-max-${level.location_id}`, type: "number", inputmode: "numeric", min: 0, step: 1, value: level.maximum });
  const messages = el("div", { class: "messages" });
  const save = el("button", { type: "submit", class: "primary" }, "Enregistrer les seuils");
  const form = el(
    "form",
    { class: "thresholds", novalidate: true, onsubmit: submit },
    el("h3", {}, `Seuils de réassort — ${level.location_name}`),
    el("p", { class: "hint" }, "Sous le minimum, le panier fournisseur reçoit de quoi revenir au maximum. Maximum 0 : stock non géré."),
    el("div", { class: "pair" }, field("Minimum", minimum), field("Maximum", maximum)),
    messages,
    el("div", { class: "actions" }, save, el("button", { type: "button", onclick: () => form.remove() }, "Annuler")),
  );
  detail.querySelector("form.thresholds")?.remove();
  detail.append(form);
  minimum.focus();

  async function submit(event) {
    event.preventDefault();
    const inputs = { minimum, maximum };
    for (const input of Object.values(inputs)) fieldError(input, null);
    messages.replaceChildren();
    const body = {};
    for (const [name, input] of Object.entries(inputs)) {
      if (!/^\d+$/.test(input.value.trim())) return fieldError(input, "Un nombre entier, zéro ou plus.") || input.focus();
      body[name] = Number(input.value);
    }
    save.disabled = true;
    try {
      const path = `/api/v1/inventory/articles/${article.id}/stock/${level.location_id}/thresholds`;
      await api("PUT", path, { body, ifMatch: `"${level.version}"` });
      await reload(); // the table again, with the new thresholds and versions
      detail.prepend(notice("ok", `Seuils de ${level.location_name} enregistrés.`));
    } catch (error) {
      save.disabled = false;
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 412) {
        messages.append(notice("error", "Quelqu’un a modifié ces seuils entre-temps. Les valeurs actuelles sont affichées ci-dessus : refaites votre modification."));
        const fresh = await api("GET", `/api/v1/inventory/articles/${article.id}`);
        detail.querySelector(".table-wrap")?.replaceWith(stockTable(fresh, null));
        level.version = fresh.stock.find((s) => s.location_id === level.location_id)?.version ?? level.version;
        return;
      }
      for (const [name, text] of Object.entries(error.errors)) {
        if (inputs[name]) fieldError(inputs[name], frenchMessages(text));
      }
      messages.append(notice("error", error.french));
    }
  }
}

// --- the supplier basket -------------------------------------------------------------------------

async function basket(body, can) {
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
      can("manage_purchasing") ? el("a", { class: "button primary", href: "/achats?vue=panier", "data-link": true }, "Valider en bons de commande") : null,
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

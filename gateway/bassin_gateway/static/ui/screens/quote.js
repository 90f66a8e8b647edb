// The quote editor (/devis?client=…&prospect=… for a new one, /devis?id=… to read one):
// lines from the catalogue (search as you type) or free text, quantities, discounts; saved
// as a draft, sent, accepted (it becomes an order) or declined; its PDF.

import { api, ApiError, frenchMessages, newKey } from "../api.js";
import { debounce, el, fill, notice } from "../dom.js";
import { cents, date, euros } from "../format.js";

const STATUS = { draft: "brouillon", sent: "envoyé", accepted: "accepté — commande passée", declined: "refusé", superseded: "remplacé par une version plus récente" };

export default {
  render(main, { navigate }) {
    const query = new URLSearchParams(location.search);
    if (query.get("id")) show(main, query.get("id"), navigate);
    else if (query.get("client")) editor(main, query.get("client"), query.get("prospect"), navigate);
    else fill(main, el("h1", {}, "Devis"), el("p", {}, "Ouvrez un devis depuis ", el("a", { href: "/prospects", "data-link": true }, "le tableau des prospects"), " ou une fiche client."));
  },
};

function editor(main, customerId, leadId, navigate) {
  const lines = []; // {article_id, description, quantity, unit_price_excl_vat, discount_percent}
  const search = el("input", { id: "catalogue", type: "search", autocomplete: "off", placeholder: "ex. chlore, pompe", "aria-controls": "catalogue-resultats" });
  const found = el("ul", { class: "items", id: "catalogue-resultats", "aria-label": "Articles du catalogue" });
  const table = el("div", { class: "table-wrap" });
  const message = el("div", { "aria-live": "assertive" });
  const kind = el("select", { id: "devis-type" }, el("option", { value: "products" }, "Vente de produits"), el("option", { value: "service" }, "Prestation"), el("option", { value: "construction" }, "Construction"));
  const free = el("input", { id: "ligne-libre", type: "text", autocomplete: "off", placeholder: "ex. Main-d’œuvre, mise en route" });
  const freePrice = el("input", { id: "ligne-libre-prix", type: "text", inputmode: "decimal", autocomplete: "off", placeholder: "0,00" });
  const save = el("button", { type: "button", class: "primary", onclick: () => submit() }, "Enregistrer le devis");
  fill(
    main,
    el("h1", {}, "Nouveau devis"),
    el("p", {}, el("a", { href: `/client?id=${customerId}`, "data-link": true }, "Retour à la fiche client")),
    el("div", { class: "field", style: null }, el("label", { for: "devis-type" }, "Type de devis"), kind),
    el("section", { class: "panel", "aria-labelledby": "titre-catalogue" }, el("h2", { id: "titre-catalogue" }, "Ajouter un article du catalogue"), el("div", { class: "field search-field" }, el("label", { for: "catalogue" }, "Rechercher dans le catalogue"), search), found),
    el(
      "section",
      { class: "panel", "aria-labelledby": "titre-libre" },
      el("h2", { id: "titre-libre" }, "Ajouter une ligne libre"),
      el("div", { class: "pair" }, el("div", { class: "field" }, el("label", { for: "ligne-libre" }, "Désignation"), free), el("div", { class: "field" }, el("label", { for: "ligne-libre-prix" }, "Prix unitaire HT (€)"), freePrice)),
      el("button", { type: "button", onclick: addFree }, "Ajouter la ligne"),
    ),
    el("section", { class: "panel", "aria-labelledby": "titre-lignes" }, el("h2", { id: "titre-lignes" }, "Lignes du devis"), table, message, save),
  );
  draw();
  search.focus();

  search.addEventListener("input", debounce(async () => {
    const q = search.value.trim();
    if (!q) return fill(found);
    try {
      const page = await api("GET", "/api/v1/inventory/articles", { query: { q, limit: 10 } });
      fill(found, page.items.length ? page.items.map((a) => el("li", {}, el("span", {}, a.name, el("small", {}, ` ${a.sku}`)), el("button", { type: "button", onclick: () => addArticle(a), "aria-label": `Ajouter ${a.name}` }, "Ajouter"))) : el("li", { class: "empty" }, `Aucun article pour « ${q} ».`));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      fill(found, el("li", {}, notice("error", error.french)));
    }
  }, 250));

  function addArticle(article) {
    const known = lines.find((l) => l.article_id === article.id);
    if (known) known.quantity += 1;
    else lines.push({ article_id: article.id, description: article.name, quantity: 1, unit_price_excl_vat: null, price: article.sale_price, discount_percent: "0" });
    draw();
    search.value = "";
    fill(found);
    search.focus();
  }

  function addFree() {
    const price = cents(freePrice.value.replace(/[\s\u00a0€]/g, ""));
    if (!free.value.trim() || Number.isNaN(price)) {
      fill(message, notice("error", "Une ligne libre a une désignation et un prix HT (ex. 120,00)."));
      return;
    }
    lines.push({ article_id: null, description: free.value.trim(), quantity: 1, unit_price_excl_vat: (price / 100).toFixed(2), discount_percent: "0" });
    free.value = "";
    freePrice.value = "";
    draw();
  }

  function draw() {
    if (!lines.length) {
      fill(table, el("p", { class: "empty" }, "Aucune ligne : cherchez un article ou ajoutez une ligne libre."));
      save.disabled = true;
      return;
    }
    save.disabled = false;
    fill(
      table,
      el(
        "table",
        { class: "quote-lines" },
        el("thead", {}, el("tr", {}, ["Désignation", "Quantité", "Remise %", "Prix"].map((h) => el("th", { scope: "col" }, h)), el("th", {}, el("span", { class: "visually-hidden" }, "Retirer")))),
        el(
          "tbody",
          {},
          lines.map((line, index) => {
            const quantity = el("input", { type: "number", min: "1", step: "1", value: line.quantity, "aria-label": `Quantité — ${line.description}`, onchange: (e) => { line.quantity = Math.max(Number(e.target.value) || 1, 1); } });
            const discount = el("input", { type: "number", min: "0", max: "100", step: "1", value: line.discount_percent, "aria-label": `Remise — ${line.description}`, onchange: (e) => { line.discount_percent = String(Math.min(Math.max(Number(e.target.value) || 0, 0), 100)); } });
            return el(
              "tr",
              {},
              el("td", {}, line.description),
              el("td", {}, quantity),
              el("td", {}, discount),
              el("td", { class: "amount" }, line.unit_price_excl_vat ? `${euros(cents(line.unit_price_excl_vat))} HT` : `${euros(cents(line.price))} TTC (catalogue)`),
              el("td", {}, el("button", { type: "button", class: "remove", "aria-label": `Retirer ${line.description}`, onclick: () => { lines.splice(index, 1); draw(); } }, "×")),
            );
          }),
        ),
      ),
    );
  }

  async function submit() {
    const body = {
      customer_id: customerId,
      lead_id: leadId || null,
      kind: kind.value,
      lines: lines.map((l) => ({ article_id: l.article_id, description: l.article_id ? null : l.description, quantity: String(l.quantity), unit_price_excl_vat: l.unit_price_excl_vat, discount_percent: l.discount_percent })),
    };
    save.disabled = true;
    try {
      const quote = await api("POST", "/api/v1/customers/quotes", { body, idempotencyKey: newKey() });
      navigate(`/devis?id=${quote.id}`, { replace: true });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const details = Object.entries(error.errors).map(([name, messages]) => `${name} : ${frenchMessages(messages)}`).join(" ");
      fill(message, notice("error", error.french, details ? ` ${details}` : ""));
      save.disabled = false;
    }
  }
}

async function show(main, id, navigate) {
  let quote;
  try {
    quote = await api("GET", `/api/v1/customers/quotes/${id}`);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    fill(main, el("h1", {}, "Devis"), notice("error", error.french));
    return;
  }
  const message = el("div", { "aria-live": "assertive" });
  const act = (verb) => async () => {
    try {
      await api("POST", `/api/v1/customers/quotes/${id}/${verb}`, { idempotencyKey: newKey() });
      show(main, id, navigate);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      fill(message, notice("error", error.french));
    }
  };
  const pdf = async () => {
    try {
      const pdfFile = await api("GET", `/api/v1/customers/quotes/${id}/pdf`);
      const bytes = Uint8Array.from(atob(pdfFile.content), (c) => c.charCodeAt(0));
      const url = URL.createObjectURL(new Blob([bytes], { type: "application/pdf" }));
      const link = el("a", { href: url, download: pdfFile.filename });
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      fill(message, notice("error", "Le PDF n’a pas pu être produit. ", error.french));
    }
  };
  fill(
    main,
    el("h1", {}, `Devis ${quote.number} v${quote.version}`),
    el("p", {}, el("span", { class: "badge badge-grey", "data-status": quote.status }, STATUS[quote.status] || quote.status), ` · valable jusqu’au ${date(quote.valid_until)} · `, el("a", { href: `/client?id=${quote.customer_id}`, "data-link": true }, "Fiche client")),
    el(
      "div",
      { class: "table-wrap panel" },
      el(
        "table",
        {},
        el("thead", {}, el("tr", {}, ["Désignation", "Quantité", "Prix unitaire HT", "Remise", "Total HT"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, quote.lines.map((l) => el("tr", {}, el("td", {}, l.description), el("td", { class: "num" }, l.quantity), el("td", { class: "amount" }, euros(cents(l.unit_price_excl_vat))), el("td", { class: "num" }, `${l.discount_percent} %`), el("td", { class: "amount" }, euros(cents(l.total_excl_vat)))))),
      ),
      el(
        "dl",
        { class: "ticket-totals" },
        el("div", {}, el("dt", {}, "Total HT"), el("dd", {}, euros(cents(quote.total_excl_vat)))),
        el("div", {}, el("dt", {}, "TVA"), el("dd", {}, euros(cents(quote.vat_total)))),
        el("div", {}, el("dt", {}, "Total TTC"), el("dd", { "data-total": true }, euros(cents(quote.total_incl_vat)))),
      ),
    ),
    el(
      "div",
      { class: "actions" },
      quote.status === "draft" ? el("button", { type: "button", class: "primary", onclick: act("send") }, "Marquer envoyé au client") : null,
      quote.status === "sent" ? el("button", { type: "button", class: "primary", onclick: act("accept") }, "Le client accepte : passer la commande") : null,
      quote.status === "sent" ? el("button", { type: "button", onclick: act("decline") }, "Le client refuse") : null,
      el("button", { type: "button", onclick: pdf }, "Télécharger le PDF"),
    ),
    quote.order_id ? notice("ok", "Commande passée : le devis accepté est devenu une commande.") : null,
    message,
  );
}

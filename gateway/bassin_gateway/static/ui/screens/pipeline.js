// Prospects and quotes: the pipeline board — prospects (leads without a quote), quotes sent
// or in preparation, orders won — each card leading to the customer file or the quote
// editor. Lost leads are counted, not shown.

import { api, ApiError, everyPage } from "../api.js";
import { el, fill, notice } from "../dom.js";
import { date } from "../format.js";

const COLUMNS = [
  { status: "open", title: "Prospects", action: "Faire un devis" },
  { status: "quoted", title: "Devis", action: "Voir les devis" },
  { status: "won", title: "Commandes", action: null },
];

export default {
  render(main) {
    const board = el("div", { class: "board", "aria-live": "polite" }, el("p", { class: "muted" }, "Chargement…"));
    fill(main, el("h1", {}, "Prospects et devis"), el("p", { class: "lead" }, "Du premier contact à la commande : un prospect devient un devis, un devis accepté une commande."), board);
    load(board);
  },
};

async function load(board) {
  let leads;
  try {
    leads = (await everyPage("/api/v1/customers/leads", {}, 5)).items;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    fill(board, notice("error", "Le tableau n’a pas pu être chargé. ", error.french), el("button", { type: "button", class: "quiet", onclick: () => load(board) }, "Réessayer"));
    return;
  }
  const lost = leads.filter((l) => l.status === "lost").length;
  fill(
    board,
    COLUMNS.map((column) => {
      const mine = leads.filter((l) => l.status === column.status);
      const id = `colonne-${column.status}`;
      return el(
        "section",
        { class: "column", "aria-labelledby": id, "data-column": column.status },
        el("h2", { id }, `${column.title} `, el("span", { class: "badge badge-grey" }, String(mine.length))),
        mine.length ? mine.map((lead) => card(lead, column)) : el("p", { class: "empty" }, "Aucun pour l’instant."),
      );
    }),
    lost ? el("p", { class: "muted" }, `${lost} prospect${lost > 1 ? "s" : ""} perdu${lost > 1 ? "s" : ""}.`) : null,
  );
}

function card(lead, column) {
  const target = column.status === "open" ? `/devis?client=${lead.customer_id}&prospect=${lead.id}` : `/client?id=${lead.customer_id}#titre-devis`;
  return el(
    "article",
    { class: "card", "data-lead": lead.id },
    el("a", { href: `/client?id=${lead.customer_id}`, "data-link": true }, lead.subject),
    el("p", { class: "muted" }, `Premier contact le ${date(lead.contacted_on)}`, lead.next_follow_up_on ? ` · relance le ${date(lead.next_follow_up_on)}` : ""),
    column.action ? el("a", { class: "button", href: target, "data-link": true }, column.action) : null,
  );
}

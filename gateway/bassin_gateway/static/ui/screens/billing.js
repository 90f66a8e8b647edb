// Billing: invoices and credit notes (draft → checked → issued → sent, e-mailed as PDF, paid),
// the construction payment requests (deposit invoices drafted by a completed milestone) to
// check and send, the payments received, the customers' balances and the FEC export.

import { api, everyPage, newKey } from "../api.js";
import { el, field, fill, notice } from "../dom.js";
import { amount, cents, date, euros, number, parseEuros } from "../format.js";
import { busy, currentView, download, failure, figures, loading, saveBlob, table, tabs } from "./office-kit.js";

const VIEWS = [
  { id: "factures", label: "Factures et avoirs", requires: "manage_invoices" },
  { id: "appels", label: "Appels de fonds", requires: "manage_invoices" },
  { id: "soldes", label: "Soldes clients", requires: "manage_invoices" },
  { id: "fec", label: "Export comptable (FEC)", requires: "read_financial_reports" },
];
const STATUS = { draft: "Brouillon", checked: "Vérifiée", issued: "Émise", sent: "Envoyée", partially_paid: "Payée en partie", paid: "Payée" };
const KIND = { invoice: "Facture", deposit: "Facture d’acompte", credit_note: "Avoir" };
const STEPS = ["draft", "checked", "issued", "sent", "paid"];
const METHODS = { transfer: "Virement", cheque: "Chèque", card: "Carte bancaire", cash: "Espèces", direct_debit: "Prélèvement", till: "Encaissé en caisse" };
const OPEN = ["issued", "sent", "partially_paid"];

export default {
  render(main, { can }) {
    const views = VIEWS.filter((v) => can(v.requires));
    const view = currentView(views);
    const body = el("div", {});
    fill(main, el("h1", {}, "Facturation"), tabs("/facturation", views, view, "Vues de la facturation"), body);
    const id = new URLSearchParams(location.search).get("facture");
    if (id && (view === "factures" || view === "appels")) invoiceDetail(body, id, view);
    else if (view === "factures") invoiceList(body, view, null);
    else if (view === "appels") invoiceList(body, view, "deposit");
    else if (view === "soldes") balances(body);
    else fec(body);
  },
};

function statusBadge(status) {
  return el("span", { class: `status status-${status}`, "data-status": status }, STATUS[status] || status);
}

// --- the lists -----------------------------------------------------------------------------------

function invoiceList(body, view, kind) {
  const filters = [["", "Toutes"], ["draft", "Brouillons"], ["checked", "Vérifiées"], ["issued", "Émises"], ["sent", "Envoyées"], ["partially_paid", "Payées en partie"], ["paid", "Payées"]];
  const list = el("div", { "aria-live": "polite" });
  const more = el("button", { type: "button", class: "quiet", hidden: true }, "Afficher plus");
  let status = kind === "deposit" ? "draft" : "";
  let cursor = null;
  const buttons = filters.map(([value, label]) => el("button", { type: "button", "aria-pressed": String(value === status), onclick: () => { status = value; buttons.forEach((b, i) => b.setAttribute("aria-pressed", String(filters[i][0] === status))); load(false); } }, label));
  fill(
    body,
    kind === "deposit"
      ? el("p", { class: "lead" }, "Les appels de fonds des chantiers : quand une étape facturable est terminée, Bassin prépare la facture d’acompte en brouillon. Vérifiez-la, émettez-la et envoyez-la au client.")
      : el("p", { class: "lead" }, "Une facture passe par brouillon, vérifiée, émise (son numéro lui est donné), envoyée, puis payée. Un avoir annule ce qui reste d’une facture émise."),
    el("div", { class: "filters", role: "group", "aria-label": "Filtrer par état" }, buttons),
    list,
    more,
  );
  more.addEventListener("click", () => load(true));
  load(false);

  async function load(append) {
    if (!append) {
      cursor = null;
      fill(list, loading("des factures"));
    }
    try {
      const page = await api("GET", "/api/v1/pos/invoices", { query: { limit: 50, ...(status ? { status } : {}), ...(kind ? { kind } : {}), ...(cursor ? { cursor } : {}) } });
      cursor = page.next;
      more.hidden = !cursor;
      const rows = page.items.map((i) => [
        el("a", { href: `/facturation?vue=${view}&facture=${i.id}`, "data-link": true }, i.number || `Brouillon ${i.id.slice(0, 8)}`),
        KIND[i.kind] || i.kind,
        i.customer_name,
        i.issued_on ? date(i.issued_on) : "—",
        euros(cents(i.total_incl_vat)),
        euros(cents(i.balance)),
        statusBadge(i.status),
      ]);
      if (!append) {
        if (!rows.length) return fill(list, el("p", { class: "empty" }, kind === "deposit" ? "Aucun appel de fonds dans cet état." : "Aucune facture dans cet état."));
        fill(list, table(null, [{ label: "N°" }, { label: "Type" }, { label: "Client" }, { label: "Émise le" }, { label: "TTC", num: true }, { label: "Reste dû", num: true }, { label: "État" }], rows, { class: "invoices" }));
      } else {
        list.querySelector("tbody").append(...table(null, [], rows).querySelectorAll("tbody tr"));
      }
    } catch (error) {
      fill(list, failure(error, "Les factures sont indisponibles. "));
    }
  }
}

// --- one invoice ---------------------------------------------------------------------------------

async function invoiceDetail(body, id, view) {
  fill(body, loading("de la facture"));
  let invoice;
  try {
    invoice = await api("GET", `/api/v1/pos/invoices/${id}`);
  } catch (error) {
    return fill(body, failure(error, "Facture indisponible. "));
  }
  const reload = (message) => invoiceDetail(body, id, view).then(() => message && body.querySelector(".messages").append(notice("ok", message)));
  const messages = el("div", { class: "messages", "aria-live": "polite" });
  const title = `${KIND[invoice.kind] || invoice.kind} ${invoice.number || "(brouillon, sans numéro)"}`;
  const step = invoice.status === "partially_paid" ? "sent" : invoice.status;
  const actions = [];
  const action = (label, work, primary = false) => {
    const button = el("button", { type: "button", class: primary ? "primary" : null, onclick: () => busy(button, messages, work) }, label);
    actions.push(button);
  };
  if (invoice.status === "draft") {
    action("Marquer comme vérifiée", async () => {
      await api("POST", `/api/v1/pos/invoices/${id}/check`, { idempotencyKey: newKey() });
      await reload("Facture vérifiée : elle peut être émise.");
    }, true);
  }
  if (invoice.status === "checked") {
    action("Émettre la facture", async () => {
      const issued = await api("POST", `/api/v1/pos/invoices/${id}/issue`, { idempotencyKey: newKey() });
      await reload(`Facture émise sous le numéro ${issued.number}.`);
    }, true);
  }
  if (invoice.number) {
    action("Télécharger le PDF", async () => download(await api("GET", `/api/v1/pos/invoices/${id}/pdf`)));
  }
  fill(
    body,
    el("p", {}, el("a", { href: `/facturation?vue=${view}`, "data-link": true }, view === "appels" ? "← Tous les appels de fonds" : "← Toutes les factures")),
    el("h2", {}, title),
    el("ol", { class: "lifecycle", "aria-label": "Étapes de la facture" }, STEPS.map((s) => el("li", { "aria-current": s === step ? "step" : null }, STATUS[s]))),
    el("p", { class: "lead" }, `${invoice.customer_name}${invoice.customer_email ? ` — ${invoice.customer_email}` : ""}. `, statusBadge(invoice.status), invoice.issued_on ? ` Émise le ${date(invoice.issued_on)}, échéance le ${date(invoice.due_on)}.` : "", invoice.sent_at ? ` Envoyée le ${date(invoice.sent_at)} à ${invoice.sent_to}.` : "", invoice.percent ? ` Acompte de ${invoice.percent.replace(".", ",")} % du chantier.` : ""),
    el("div", { class: "actions" }, actions),
    messages,
    table("Lignes", [{ label: "Désignation" }, { label: "Qté", num: true }, { label: "PU HT", num: true }, { label: "TVA", num: true }, { label: "Total HT", num: true }], invoice.lines.map((l) => [l.description, l.quantity.replace(".", ","), euros(cents(l.unit_price_excl_vat)), `${l.vat_rate.replace(".", ",")} %`, euros(cents(l.total_excl_vat))])),
    el("div", { class: "invoice-totals" }, figures([
      ["Total HT", euros(cents(invoice.total_excl_vat))],
      ["TVA", euros(cents(invoice.vat_total))],
      ["Total TTC", euros(cents(invoice.total_incl_vat)), "total"],
      ["Payé", euros(cents(invoice.paid_total)), "paid"],
      ["Reste dû", euros(cents(invoice.balance)), "balance"],
    ])),
    invoice.payments.length
      ? table("Paiements reçus", [{ label: "Reçu le" }, { label: "Moyen" }, { label: "Référence" }, { label: "Montant", num: true }], invoice.payments.map((p) => [date(p.received_on), METHODS[p.method] || p.method, p.reference || "—", euros(cents(p.amount))]), { class: "payments-received" })
      : null,
    invoice.number ? sendForm(invoice, reload) : null,
    OPEN.includes(invoice.status) && invoice.kind !== "credit_note" && cents(invoice.balance) > 0 ? paymentForm(invoice, reload) : null,
    invoice.number && invoice.kind !== "credit_note" && cents(invoice.balance) > 0 ? creditForm(invoice, view) : null,
  );
}

function sendForm(invoice, reload) {
  const to = el("input", { id: "envoyer-a", type: "email", autocomplete: "off", placeholder: invoice.customer_email || "adresse@exemple.fr" });
  const messages = el("div", { "aria-live": "polite" });
  const send = el("button", { type: "submit", class: invoice.status === "issued" ? "primary" : null }, invoice.sent_at ? "Renvoyer par e-mail" : "Envoyer par e-mail");
  return el(
    "form",
    { class: "panel", novalidate: true, "aria-labelledby": "titre-envoi", onsubmit: async (event) => {
      event.preventDefault();
      if (!to.value.trim() && !invoice.customer_email) return fill(messages, notice("error", "Ce client n’a pas d’adresse e-mail : saisissez celle où envoyer la facture."));
      await busy(send, messages, async () => {
        const sent = await api("POST", `/api/v1/pos/invoices/${invoice.id}/sending`, { body: to.value.trim() ? { to: to.value.trim() } : {}, idempotencyKey: newKey() });
        await reload(`Facture envoyée à ${sent.sent_to}, en PDF.`);
      });
    } },
    el("h3", { id: "titre-envoi" }, "Envoyer au client"),
    field("Adresse (vide : celle du client)", to),
    messages,
    el("div", { class: "actions" }, send),
  );
}

function paymentForm(invoice, reload) {
  const value = el("input", { id: "paiement-montant", type: "text", inputmode: "decimal", autocomplete: "off", value: invoice.balance.replace(".", ",") });
  const method = el("select", { id: "paiement-moyen" }, Object.entries(METHODS).filter(([m]) => m !== "till").map(([m, label]) => el("option", { value: m }, label)));
  const reference = el("input", { id: "paiement-reference", type: "text", autocomplete: "off", maxlength: 100 });
  const on = el("input", { id: "paiement-date", type: "date", value: new Date().toISOString().slice(0, 10) });
  const messages = el("div", { "aria-live": "polite" });
  const save = el("button", { type: "submit" }, "Enregistrer le paiement");
  const key = newKey(); // one payment: a retry of this form is not a second payment
  return el(
    "form",
    { class: "panel", novalidate: true, "aria-labelledby": "titre-paiement-facture", onsubmit: async (event) => {
      event.preventDefault();
      const paid = parseEuros(value.value);
      if (!Number.isFinite(paid) || paid <= 0) return fill(messages, notice("error", "Montant illisible : par exemple 500 ou 1 294,00."));
      await busy(save, messages, async () => {
        await api("POST", `/api/v1/pos/invoices/${invoice.id}/payments`, { body: { amount: amount(paid), method: method.value, reference: reference.value.trim() || null, received_on: on.value || null }, idempotencyKey: key });
        await reload(`Paiement de ${euros(paid)} enregistré.`);
      });
    } },
    el("h3", { id: "titre-paiement-facture" }, "Enregistrer un paiement reçu"),
    el("div", { class: "form-grid" }, field("Montant", value), field("Moyen de paiement", method), field("Référence (n° de chèque…)", reference), field("Reçu le", on)),
    messages,
    el("div", { class: "actions" }, save),
  );
}

function creditForm(invoice, view) {
  const reason = el("input", { id: "avoir-motif", type: "text", autocomplete: "off", maxlength: 500 });
  const messages = el("div", { "aria-live": "polite" });
  const save = el("button", { type: "submit" }, "Préparer l’avoir");
  return el(
    "form",
    { class: "panel", novalidate: true, "aria-labelledby": "titre-avoir", onsubmit: async (event) => {
      event.preventDefault();
      if (!reason.value.trim()) return fill(messages, notice("error", "Indiquez le motif de l’avoir."));
      await busy(save, messages, async () => {
        const note = await api("POST", `/api/v1/pos/invoices/${invoice.id}/credit-note`, { body: { reason: reason.value.trim() }, idempotencyKey: newKey() });
        history.pushState(null, "", `/facturation?vue=${view}&facture=${note.id}`);
        dispatchEvent(new PopStateEvent("popstate"));
      });
    } },
    el("h3", { id: "titre-avoir" }, "Annuler par un avoir"),
    el("p", { class: "hint" }, `Un avoir en brouillon annulant ce qui reste dû (${euros(cents(invoice.balance))}) ; il se vérifie et s’émet comme une facture.`),
    field("Motif", reason),
    messages,
    el("div", { class: "actions" }, save),
  );
}

// --- customers' balances --------------------------------------------------------------------------

async function balances(body) {
  fill(body, loading("des soldes"));
  let open = [];
  try {
    for (const status of OPEN) open = open.concat((await everyPage("/api/v1/pos/invoices", { status }, 20)).items);
  } catch (error) {
    return fill(body, failure(error, "Les soldes sont indisponibles. "));
  }
  const today = new Date().toISOString().slice(0, 10);
  const byCustomer = new Map();
  for (const invoice of open) {
    if (invoice.kind === "credit_note") continue; // a credit note lowers its invoice's balance already
    const row = byCustomer.get(invoice.customer_id) || { id: invoice.customer_id, name: invoice.customer_name, balance: 0, overdue: 0, invoices: [] };
    row.balance += cents(invoice.balance);
    if (invoice.due_on && invoice.due_on < today) row.overdue += cents(invoice.balance);
    row.invoices.push(invoice);
    byCustomer.set(invoice.customer_id, row);
  }
  const rows = [...byCustomer.values()].filter((r) => r.balance !== 0).sort((a, b) => b.overdue - a.overdue || b.balance - a.balance);
  const total = rows.reduce((s, r) => s + r.balance, 0);
  const overdue = rows.reduce((s, r) => s + r.overdue, 0);
  if (!rows.length) return fill(body, el("p", { class: "empty ok" }, "Aucun client ne doit rien : toutes les factures émises sont payées."));
  fill(
    body,
    figures([["Clients débiteurs", number(rows.length)], ["Reste dû", euros(total), "due"], ["Dont échu", euros(overdue), "overdue"]]),
    table(
      "Soldes clients, les retards d’abord",
      [{ label: "Client" }, { label: "Factures ouvertes" }, { label: "Reste dû", num: true }, { label: "Échu", num: true }],
      rows.map((r) => el(
        "tr",
        { class: r.overdue > 0 ? "low" : null, "data-customer": r.name },
        el("th", { scope: "row" }, r.name),
        el("td", {}, r.invoices.map((i, n) => [n ? ", " : "", el("a", { href: `/facturation?vue=${i.kind === "deposit" ? "appels" : "factures"}&facture=${i.id}`, "data-link": true }, i.number)])),
        el("td", { class: "num" }, euros(r.balance)),
        el("td", { class: "num" }, r.overdue > 0 ? el("span", { class: "badge badge-red" }, euros(r.overdue)) : "—"),
      )),
      { class: "balances" },
    ),
  );
}

// --- the FEC export -----------------------------------------------------------------------------------

function fec(body) {
  const now = new Date();
  const first = new Date(now.getFullYear(), now.getMonth() - 1, 1);
  const last = new Date(now.getFullYear(), now.getMonth(), 0);
  const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  const start = el("input", { id: "fec-debut", type: "date", value: iso(first) });
  const end = el("input", { id: "fec-fin", type: "date", value: iso(last) });
  const messages = el("div", { "aria-live": "polite" });
  const run = el("button", { type: "submit", class: "primary" }, "Télécharger le FEC");
  fill(
    body,
    el("p", { class: "lead" }, "Le fichier des écritures comptables (FEC) que l’administration fiscale demande et que votre expert-comptable importe : les ventes de la caisse, les factures, acomptes et avoirs émis, les paiements reçus. Un fichier texte, 18 colonnes séparées par des tabulations, nommé SIREN + FEC + date de clôture."),
    el(
      "form",
      { class: "panel", novalidate: true, onsubmit: async (event) => {
        event.preventDefault();
        if (!start.value || !end.value) return fill(messages, notice("error", "Choisissez le premier et le dernier jour de la période."));
        await busy(run, messages, async () => {
          const file = await api("GET", "/api/v1/pos/accounting/fec", { query: { start: start.value, end: end.value } });
          saveBlob(new Blob([file.content], { type: "text/plain;charset=utf-8" }), file.filename);
          fill(messages, notice("ok", `${file.filename} : ${number(file.entries)} écriture(s) du ${date(start.value)} au ${date(end.value)}.`));
        });
      } },
      el("div", { class: "form-grid" }, field("Du", start), field("Au (inclus)", end)),
      messages,
      el("div", { class: "actions" }, run),
    ),
  );
}

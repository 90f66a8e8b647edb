// The cash session of this till's shop: opened in the morning with its float, closed in the
// evening with what was counted per payment method (blind: what was expected is shown once
// counted), then the Z report on screen — totals per method, VAT rate, category and
// cashier, and the variances — printable on the till's printer. Past sessions below.

import { api, everyPage, newKey } from "../api.js";
import { el, field, fill, notice } from "../dom.js";
import { amount, cents, date, euros, number, parseEuros, time } from "../format.js";
import { busy, failure, loading, table } from "./office-kit.js";

const SHOP_KEY = "bassin.caisse.magasin"; // the till's shop on this computer (as the till keeps it)
export const COUNTED = [
  { method: "cash", label: "Espèces (fond de caisse compris)" },
  { method: "card", label: "Carte bancaire (tickets du terminal)" },
  { method: "cheque", label: "Chèques" },
  { method: "transfer", label: "Virements" },
];
const METHOD_LABELS = { cash: "Espèces", card: "Carte bancaire", cheque: "Chèque", transfer: "Virement", voucher: "Avoir / bon d’achat", account: "En compte" };

export default {
  render(main, { can, me }) {
    const place = el("div", {});
    const history = el("section", { "aria-labelledby": "titre-historique" });
    fill(
      main,
      el("p", {}, el("a", { href: "/caisse", "data-link": true }, "← Retour à la caisse")),
      el("h1", {}, "Ouverture et clôture de caisse"),
      place,
      history,
    );
    const wanted = new URLSearchParams(location.search).get("session");
    const context = { can, me, place, history, names: new Map() };
    if (wanted) showSession(context, wanted);
    else current(context);
    pastSessions(context);
  },
};

async function cashierNames(context) {
  if (context.names.size || !context.can("manage_users")) return;
  try {
    for (const user of (await everyPage("/api/v1/users", {}, 5)).items) context.names.set(user.id, user.full_name || user.email);
  } catch {
    // The names are a comfort: the report shows the cashiers' ids without them.
  }
}

function cashier(context, id) {
  if (!id) return "—";
  if (id === context.me.user_id) return context.names.get(id) || "Vous";
  return context.names.get(id) || `Caissier ${id.slice(0, 8)}`;
}

async function current(context) {
  fill(context.place, loading("de la session de caisse"));
  let open;
  try {
    const page = await api("GET", "/api/v1/pos/cash-sessions", { query: { limit: 20 } });
    const shop = localStorage.getItem(SHOP_KEY);
    open = page.items.find((s) => !s.closed_at && (!shop || s.location_id === shop)) || null;
  } catch (error) {
    return fill(context.place, failure(error, "Les sessions de caisse sont indisponibles. "));
  }
  if (open) return closingForm(context, open);
  openingForm(context);
}

async function shops() {
  try {
    return (await everyPage("/api/v1/inventory/locations", {}, 5)).items.filter((l) => l.kind === "shop");
  } catch {
    return []; // inventory out of reach: with one shop, pos needs none named
  }
}

async function openingForm(context) {
  const several = await shops();
  const shop = el("select", { id: "magasin-session" }, el("option", { value: "" }, "— choisir —"), several.map((s) => el("option", { value: s.id, selected: s.id === localStorage.getItem(SHOP_KEY) }, `${s.name} (${s.code})`)));
  const float = el("input", { id: "fond-de-caisse", type: "text", inputmode: "decimal", autocomplete: "off", placeholder: "ex. 150,00" });
  const messages = el("div", { "aria-live": "polite" });
  const open = el("button", { type: "submit", class: "primary" }, "Ouvrir la caisse");
  fill(
    context.place,
    el(
      "form",
      { class: "panel", novalidate: true, onsubmit: submit, "aria-labelledby": "titre-ouverture" },
      el("h2", { id: "titre-ouverture" }, "Ouvrir la caisse"),
      el("p", {}, "Aucune session n’est ouverte. Comptez le fond de caisse (la monnaie du tiroir), puis ouvrez. Une vente encaissée sans session en ouvre une sans fond."),
      several.length > 1 ? field("Magasin de cette caisse", shop) : null,
      field("Fond de caisse", float, "En euros, par exemple 150 ou 150,00."),
      messages,
      el("div", { class: "actions" }, open),
    ),
  );
  float.focus();

  async function submit(event) {
    event.preventDefault();
    const value = parseEuros(float.value || "0");
    if (!Number.isFinite(value) || value < 0) return fill(messages, notice("error", "Montant illisible : saisissez par exemple 150 ou 150,00."));
    if (several.length > 1 && !shop.value) return fill(messages, notice("error", "Choisissez le magasin de cette caisse."));
    if (shop.value) localStorage.setItem(SHOP_KEY, shop.value);
    await busy(open, messages, async () => {
      const location = several.length > 1 ? shop.value : null;
      const session = await api("POST", "/api/v1/pos/cash-sessions", { body: { opening_float: amount(value), ...(location ? { location_id: location } : {}) }, idempotencyKey: newKey() });
      closingForm(context, session, `Caisse ouverte (session n° ${session.number}) avec un fond de ${euros(value)}.`);
      pastSessions(context);
    });
  }
}

async function closingForm(context, summary, opened = null) {
  let session;
  try {
    session = await api("GET", `/api/v1/pos/cash-sessions/${summary.id}`);
  } catch (error) {
    return fill(context.place, failure(error, "La session est indisponible. "));
  }
  const inputs = COUNTED.map((m) => el("input", { id: `compte-${m.method}`, type: "text", inputmode: "decimal", autocomplete: "off", placeholder: "0,00" }));
  const messages = el("div", { "aria-live": "polite" });
  const close = el("button", { type: "submit", class: "primary" }, "Clôturer la caisse");
  const z = session.z_report;
  fill(
    context.place,
    opened ? notice("ok", opened) : null,
    el(
      "section",
      { class: "panel", "aria-labelledby": "titre-session" },
      el("h2", { id: "titre-session" }, `Session n° ${session.number} ouverte`),
      el("p", { class: "muted" }, `Depuis le ${date(session.opened_at)} à ${time(session.opened_at)}, fond de caisse ${euros(cents(session.opening_float))}. ${number(z.sales_count)} vente(s), ${number(z.refunds_count)} remboursement(s) : ${euros(cents(z.net_total))} TTC.`),
      el("a", { class: "button", href: "/caisse", "data-link": true }, "Continuer à vendre"),
    ),
    el(
      "form",
      { class: "panel", novalidate: true, onsubmit: submit, "aria-labelledby": "titre-cloture" },
      el("h2", { id: "titre-cloture" }, "Clôturer la caisse"),
      el("p", {}, "Comptez le tiroir et les justificatifs, puis saisissez ce que vous avez compté pour chaque moyen de paiement. L’attendu et l’écart s’affichent après la clôture, dans le ticket Z."),
      el("div", { class: "form-grid" }, COUNTED.map((m, i) => field(m.label, inputs[i]))),
      messages,
      el("div", { class: "actions" }, close),
    ),
  );

  async function submit(event) {
    event.preventDefault();
    const counted = [];
    for (const [i, m] of COUNTED.entries()) {
      const value = parseEuros(inputs[i].value || "0");
      if (!Number.isFinite(value) || value < 0) {
        inputs[i].focus();
        return fill(messages, notice("error", `${m.label} : montant illisible (par exemple 412,30).`));
      }
      counted.push({ method: m.method, amount: amount(value) });
    }
    await busy(close, messages, async () => {
      const closed = await api("POST", `/api/v1/pos/cash-sessions/${session.id}/closing`, { body: { counted }, idempotencyKey: newKey() });
      await cashierNames(context);
      fill(context.place, notice("ok", `Caisse clôturée : session n° ${closed.number}.`), zReport(context, closed));
      pastSessions(context);
    });
  }
}

async function showSession(context, id) {
  fill(context.place, loading("du ticket Z"));
  try {
    const session = await api("GET", `/api/v1/pos/cash-sessions/${id}`);
    await cashierNames(context);
    if (session.status === "open") return closingForm(context, session);
    fill(context.place, zReport(context, session));
  } catch (error) {
    fill(context.place, failure(error, "Ce ticket Z est indisponible. "));
  }
}

function signed(value) {
  const c = cents(value);
  return el("span", { class: c < 0 ? "variance-neg" : c > 0 ? "variance-pos" : null }, `${c > 0 ? "+" : ""}${euros(c)}`);
}

/** The Z report of a closed session: what was taken, the VAT, the categories, the cashiers,
 * and per method what was expected, counted and the variance. */
export function zReport(context, s) {
  const z = s.z_report;
  const expected = new Map(s.expected.map((e) => [e.method, e.amount]));
  const counted = new Map(s.counted.map((e) => [e.method, e.amount]));
  const variance = new Map(s.variances.map((e) => [e.method, e.amount]));
  const methods = [...new Set([...expected.keys(), ...counted.keys()])];
  const total = cents(s.variance_total);
  return el(
    "section",
    { class: "panel z-report printable", "aria-labelledby": "titre-z" },
    el("h2", { id: "titre-z" }, `Ticket Z — session n° ${s.number}`),
    el("p", { class: "muted" }, `Ouverte le ${date(s.opened_at)} à ${time(s.opened_at)} par ${cashier(context, s.opened_by)}${s.closed_at ? `, clôturée le ${date(s.closed_at)} à ${time(s.closed_at)} par ${cashier(context, s.closed_by)}` : ""}. Fond de caisse ${euros(cents(s.opening_float))}.`),
    el(
      "dl",
      { class: "ticket-totals" },
      el("div", {}, el("dt", {}, `Ventes (${number(z.sales_count)})`), el("dd", {}, euros(cents(z.sales_total)))),
      el("div", {}, el("dt", {}, `Remboursements (${number(z.refunds_count)})`), el("dd", {}, euros(cents(z.refunds_total) ? -cents(z.refunds_total) : 0))),
      el("div", {}, el("dt", {}, "Total net TTC"), el("dd", { "data-z-total": "" }, euros(cents(z.net_total)))),
      el("div", {}, el("dt", {}, "dont TVA"), el("dd", {}, euros(cents(z.vat_total)))),
      el("div", { class: "variance-total" }, el("dt", {}, total ? "Écart de caisse" : "Écart de caisse : aucun"), el("dd", { "data-variance-total": "" }, signed(s.variance_total))),
    ),
    el("h3", {}, "Par moyen de paiement"),
    table(
      null,
      [{ label: "Moyen" }, { label: "Encaissé", num: true }, { label: "Attendu", num: true }, { label: "Compté", num: true }, { label: "Écart", num: true }],
      [...new Set([...z.by_method.map((m) => m.method), ...methods])].map((m) => {
        const taken = z.by_method.find((x) => x.method === m);
        return [METHOD_LABELS[m] || m, taken ? euros(cents(taken.amount)) : "—", expected.has(m) ? euros(cents(expected.get(m))) : "—", counted.has(m) ? euros(cents(counted.get(m))) : "—", variance.has(m) ? signed(variance.get(m)) : "—"];
      }),
      { class: "z-methods" },
    ),
    el("h3", {}, "Par taux de TVA"),
    table(null, [{ label: "Taux" }, { label: "Base HT", num: true }, { label: "TVA", num: true }, { label: "TTC", num: true }], z.by_vat_rate.map((v) => [`${v.rate.replace(".", ",")} %`, euros(cents(v.base)), euros(cents(v.vat)), euros(cents(v.total))])),
    el("h3", {}, "Par catégorie"),
    table(null, [{ label: "Catégorie" }, { label: "TTC", num: true }], z.by_category.map((c) => [c.category || "Sans catégorie", euros(cents(c.total))])),
    el("h3", {}, "Par caissier"),
    table(null, [{ label: "Caissier" }, { label: "TTC", num: true }], z.by_cashier.map((c) => [cashier(context, c.cashier_id), euros(cents(c.total))])),
    el("div", { class: "actions" }, el("button", { type: "button", onclick: () => window.print() }, "Imprimer le ticket Z"), el("a", { class: "button", href: "/caisse/session", "data-link": true }, "Ouvrir une nouvelle session")),
  );
}

async function pastSessions(context) {
  try {
    const page = await api("GET", "/api/v1/pos/cash-sessions", { query: { limit: 10 } });
    const closed = page.items.filter((s) => s.closed_at);
    fill(
      context.history,
      el("h2", { id: "titre-historique" }, "Dernières clôtures"),
      closed.length
        ? table(null, [{ label: "Session" }, { label: "Ouverte le" }, { label: "Clôturée le" }, { label: "Fond", num: true }], closed.map((s) => [el("a", { href: `/caisse/session?session=${s.id}`, "data-link": true }, `Ticket Z n° ${s.number}`), `${date(s.opened_at)} ${time(s.opened_at)}`, `${date(s.closed_at)} ${time(s.closed_at)}`, euros(cents(s.opening_float))]))
        : el("p", { class: "empty" }, "Aucune session clôturée pour l’instant."),
    );
  } catch (error) {
    fill(context.history, failure(error, "L’historique des sessions est indisponible. "));
  }
}

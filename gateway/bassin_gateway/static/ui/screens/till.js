// The till: a search and barcode field that keeps the focus (a USB scanner types the code
// and presses Enter), the cart, split payments with change, the ticket. Large targets,
// keyboard shortcuts for the payment methods, no modal in the way of the next customer.
// It sells from the till's own catalogue (pos), so it keeps selling when inventory is down.
// Discounts (a line's, the cart's) are priced by pos (/carts/pricing), within the role's
// limit (the billing settings' discount limit; none for those who may refund).

import { api, ApiError, everyPage, frenchMessages, newKey } from "../api.js";
import { debounce, el, fill, notice } from "../dom.js";
import { amount, cents, date, euros, parseEuros, time } from "../format.js";

export const METHODS = [
  { method: "cash", label: "Espèces", key: "F2" },
  { method: "card", label: "Carte bancaire", key: "F3" },
  { method: "cheque", label: "Chèque", key: "F4" },
  { method: "transfer", label: "Virement", key: "F7" },
  { method: "voucher", label: "Avoir / bon d’achat", key: "F8" },
];
const VALIDATE_KEY = "F9";
const LABELS = Object.fromEntries(METHODS.map((m) => [m.method, m.label]));
const MAX_RESULTS = 24;
const CATALOGUE_REFRESH_MS = 10 * 60 * 1000; // prices changed in the office reach the till
const SHOP_KEY = "bassin.caisse.magasin"; // the shop of this till, on this computer
const SALE_KEY = "bassin.caisse.vente"; // the sale in progress in this tab: it survives a reload or a new login

export default {
  render(main, { can = () => false } = {}) {
    const state = {
      cartDiscount: "", // the cart's discount, a percentage ("5.00"), "" for none
      priced: null, // pos's pricing of a discounted cart: {signature, total, discount, pending, failed}
      discountLimit: null, // the cashier's limit (percent), null when unknown or unlimited
      repricing: null, // the timer of the next pricing (after a quiet moment)
      catalogue: [],
      lines: [], // {entry, quantity}
      payments: [], // {method, cents}
      change: 0,
      key: null, // the sale's Idempotency-Key: kept while the same sale is retried
      ticket: null,
      sending: false,
      restored: false, // the sale in progress read back (once the catalogue is there)
    };

    const scan = el("input", {
      id: "scan",
      type: "text",
      autocomplete: "off",
      spellcheck: "false",
      enterkeyhint: "enter",
      placeholder: "Nom, référence ou code-barres",
      "aria-describedby": "scan-aide",
      "aria-controls": "resultats",
    });
    const status = el("p", { class: "muted", id: "catalogue-etat", role: "status" }, "Chargement du catalogue…");
    const shopChoice = el("div", { class: "shop-choice" });
    const feedback = el("div", { class: "messages", "aria-live": "assertive" });
    const results = el("ul", { class: "results", id: "resultats", "aria-label": "Articles trouvés" });
    const cart = el("div", { class: "cart" });
    const totals = el("div", { class: "totals", "aria-live": "polite" });
    const given = el("input", { id: "montant", type: "text", inputmode: "decimal", autocomplete: "off", placeholder: "Reste à payer" });
    const payments = el("ul", { class: "payments", "aria-label": "Paiements" });
    const methodButtons = METHODS.map((m) =>
      el("button", { type: "button", class: "method", "data-method": m.method, onclick: () => pay(m.method) }, m.label, el("kbd", {}, m.key)),
    );
    const validate = el("button", { type: "button", class: "primary validate", onclick: () => complete() }, "Valider la vente", el("kbd", {}, VALIDATE_KEY));
    const cartDiscount = el("input", { id: "remise-panier", type: "text", inputmode: "decimal", autocomplete: "off", placeholder: "0" });
    const discountHint = el("p", { class: "hint", id: "remise-aide" }, "Remise en pourcentage sur tout le panier.");
    cartDiscount.setAttribute("aria-describedby", "remise-aide");
    cartDiscount.addEventListener("change", () => {
      const percent = readPercent(cartDiscount.value);
      if (percent === null) {
        cartDiscount.value = state.cartDiscount.replace(".", ",");
        return say("error", "Remise illisible : un pourcentage, par exemple 5 ou 7,5.");
      }
      state.cartDiscount = percent;
      changed();
    });
    const paymentPanel = el(
      "section",
      { class: "panel pay", "aria-labelledby": "titre-paiement" },
      el("h2", { id: "titre-paiement" }, "Paiement"),
      totals,
      el("div", { class: "field discount-field" }, el("label", { for: "remise-panier" }, "Remise sur le panier (%)"), cartDiscount, discountHint),
      validate,
      el("div", { class: "field" }, el("label", { for: "montant" }, "Montant reçu (vide : le reste à payer)"), given),
      el("div", { class: "methods" }, methodButtons),
      payments,
    );
    const ticketPanel = el("section", { class: "panel ticket", "aria-labelledby": "titre-ticket", hidden: true });

    fill(
      main,
      el("h1", { class: "visually-hidden" }, "Caisse"),
      el(
        "div",
        { class: "till" },
        el(
          "section",
          { class: "panel search", "aria-labelledby": "titre-recherche" },
          el("h2", { id: "titre-recherche" }, "Articles"),
          el("div", { class: "field" }, el("label", { for: "scan" }, "Rechercher ou scanner un article"), scan),
          el("p", { class: "hint", id: "scan-aide" }, "Entrée ajoute l’article trouvé ; « 3*CODE » en ajoute 3."),
          status,
          shopChoice,
          feedback,
          results,
        ),
        el("section", { class: "panel cart-panel", "aria-labelledby": "titre-panier" }, el("h2", { id: "titre-panier" }, "Panier"), cart, el("p", {}, el("a", { href: "/caisse/session", "data-link": true }, "Ouverture et clôture de caisse (ticket Z)"))),
        el("div", { class: "pay-column" }, paymentPanel, ticketPanel),
      ),
    );

    scan.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        enter();
      } else if (event.key === "ArrowDown") {
        const first = results.querySelector("button");
        if (first) {
          event.preventDefault();
          first.focus();
        }
      }
    });
    scan.addEventListener("input", debounce(() => showResults(scan.value), 80));
    given.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        pay("cash");
      }
    });

    // Shortcuts anywhere on the till; a printable key typed elsewhere goes to the scan field.
    const onKey = (event) => {
      const method = METHODS.find((m) => m.key === event.key);
      if (method) {
        event.preventDefault();
        pay(method.method);
      } else if (event.key === VALIDATE_KEY) {
        event.preventDefault();
        complete();
      } else if (event.key === "Escape") {
        scan.value = "";
        showResults("");
        focusScan();
      } else if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey && !isField(document.activeElement)) {
        focusScan();
      }
    };
    document.addEventListener("keydown", onKey);

    loadCatalogue();
    loadShops();
    loadDiscountLimit();
    const refresh = setInterval(loadCatalogue, CATALOGUE_REFRESH_MS);
    draw();
    focusScan();
    return () => {
      document.removeEventListener("keydown", onKey);
      clearInterval(refresh);
      clearTimeout(state.repricing);
    };

    // --- the shop of this till (asked only when the company has several) ----------------------

    async function loadShops() {
      let shops;
      try {
        shops = (await everyPage("/api/v1/inventory/locations", {}, 5)).items.filter((l) => l.kind === "shop");
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        return; // inventory out of reach: the till still sells (with one shop, none needs naming)
      }
      if (shops.length < 2) {
        localStorage.removeItem(SHOP_KEY);
        return;
      }
      const select = el("select", { id: "magasin", onchange: () => { localStorage.setItem(SHOP_KEY, select.value); focusScan(); } },
        el("option", { value: "" }, "— choisir —"),
        shops.map((shop) => el("option", { value: shop.id, selected: shop.id === localStorage.getItem(SHOP_KEY) }, `${shop.name} (${shop.code})`)),
      );
      fill(shopChoice, el("div", { class: "field" }, el("label", { for: "magasin" }, "Magasin de cette caisse"), select));
    }

    // --- discounts: the role's limit, and pos's pricing of a discounted cart ------------------

    async function loadDiscountLimit() {
      if (can("refund_sales")) {
        fill(discountHint, "Remise en pourcentage sur tout le panier (votre rôle n’a pas de limite).");
        return;
      }
      try {
        const settings = await api("GET", "/api/v1/pos/billing-settings");
        state.discountLimit = Number(settings.discount_limit);
        fill(discountHint, `Remise en pourcentage, ${settings.discount_limit.replace(".", ",")} % au plus sous le prix du catalogue (au-delà : un gérant).`);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error; // unknown limit: pos still checks it
      }
    }

    function discounted() {
      return Boolean(state.cartDiscount || state.lines.some((l) => l.discount));
    }

    function signature() {
      return JSON.stringify([state.cartDiscount, state.lines.map((l) => [l.entry.article_id, l.quantity, l.discount || ""])]);
    }

    /** Whether the total is known: no discount, or pos priced this very cart. */
    function priced() {
      return !discounted() || Boolean(state.priced && state.priced.signature === signature() && !state.priced.pending && !state.priced.failed);
    }

    function beyondLimit() {
      if (state.discountLimit === null) return false;
      const combined = (l) => 100 - (100 - Number(l.discount || 0)) * (100 - Number(state.cartDiscount || 0)) / 100;
      return state.lines.some((l) => combined(l) > state.discountLimit + 1e-9);
    }

    function reprice() {
      clearTimeout(state.repricing);
      state.repricing = setTimeout(repriceNow, 150);
    }

    async function repriceNow() {
      if (!discounted() || !state.lines.length) return;
      const mine = signature();
      if (beyondLimit()) {
        state.priced = { signature: mine, failed: true };
        draw();
        return say("error", `Remise refusée : au-delà de ${String(state.discountLimit).replace(".", ",")} % sous le prix du catalogue, demandez à un gérant.`);
      }
      state.priced = { signature: mine, pending: true };
      draw();
      try {
        const answer = await api("POST", "/api/v1/pos/carts/pricing", { body: saleBody(false) });
        if (state.priced.signature !== mine) return;
        state.priced = { signature: mine, total: cents(answer.total), discount: cents(answer.discount_total), lines: answer.lines };
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (state.priced.signature !== mine) return;
        state.priced = { signature: mine, failed: true };
        say("error", `Remise refusée. ${error.french} ${Object.values(error.errors).map(frenchMessages).join(" ")}`.trim());
      }
      draw();
    }

    function saleBody(withPayments = true) {
      const shop = localStorage.getItem(SHOP_KEY);
      return {
        ...(withPayments && shop ? { location_id: shop } : {}),
        lines: state.lines.map((l) => ({ article_id: l.entry.article_id, quantity: l.quantity, ...(l.discount ? { discount_percent: l.discount } : {}) })),
        ...(state.cartDiscount ? { discount_percent: state.cartDiscount } : {}),
        ...(withPayments ? { payments: state.payments.map((p) => ({ method: p.method, amount: amount(p.cents) })) } : {}),
      };
    }

    // --- the catalogue and the search -------------------------------------------------------

    async function loadCatalogue() {
      try {
        const { items, complete: whole } = await everyPage("/api/v1/pos/articles", {}, 50);
        state.catalogue = items.map((entry) => ({ ...entry, search: fold(`${entry.sku} ${entry.name} ${(entry.barcodes || []).join(" ")} ${entry.ean || ""}`) }));
        fill(status, `${state.catalogue.length} articles en caisse${whole ? "" : " (les premiers seulement)"}.`);
        restore();
        showResults(scan.value);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        fill(status, notice("error", "Le catalogue de la caisse n’a pas pu être chargé. ", error.french), el("button", { type: "button", class: "quiet", onclick: loadCatalogue }, "Réessayer"));
      }
    }

    function matches(text) {
      const words = fold(text).split(/\s+/).filter(Boolean);
      if (!words.length) return [];
      return state.catalogue.filter((entry) => words.every((w) => entry.search.includes(w)));
    }

    function exact(code) {
      const wanted = fold(code);
      return state.catalogue.find((e) => fold(e.sku) === wanted || (e.barcodes || []).includes(code) || e.ean === code);
    }

    function showResults(text) {
      const { code } = parseEntry(text);
      const found = matches(code).slice(0, MAX_RESULTS);
      fill(
        results,
        found.map((entry) =>
          el(
            "li",
            {},
            el("button", { type: "button", class: "product", onclick: () => add(entry, 1), onkeydown: moveInResults }, el("span", { class: "name" }, entry.name), el("span", { class: "sku" }, entry.sku), el("span", { class: "price" }, euros(cents(entry.sale_price)))),
          ),
        ),
      );
    }

    function enter() {
      const { quantity, code } = parseEntry(scan.value);
      if (!code) {
        if (state.lines.length && remaining() === 0) complete();
        return;
      }
      const entry = exact(code) || (matches(code).length === 1 ? matches(code)[0] : null);
      if (entry) return add(entry, quantity);
      const count = matches(code).length;
      say(count ? "info" : "error", count ? `${count} articles correspondent : choisissez-le dans la liste.` : `Aucun article pour « ${code} ». Vérifiez le code, ou cherchez par le nom.`);
    }

    // --- the cart ------------------------------------------------------------------------------

    function add(entry, quantity) {
      if (state.ticket) newSale();
      const line = state.lines.find((l) => l.entry.article_id === entry.article_id);
      if (line) line.quantity += quantity;
      else state.lines.push({ entry, quantity });
      changed();
      say("ok", `${quantity} × ${entry.name} ajouté.`);
      scan.value = "";
      showResults("");
      focusScan();
    }

    function setQuantity(line, quantity) {
      if (quantity <= 0) state.lines = state.lines.filter((l) => l !== line);
      else line.quantity = Math.min(quantity, 100000);
      changed();
    }

    function changed() {
      // Another cart is another sale: a new key, and payments made for the old total go.
      state.key = null;
      if (state.payments.length && paid() > total()) {
        state.payments = [];
        say("info", "Le total a changé : les paiements sont à refaire.");
      }
      state.change = 0;
      draw();
      reprice();
    }

    function total() {
      if (discounted()) return priced() ? state.priced.total : state.lines.reduce((sum, l) => sum + cents(l.entry.sale_price) * l.quantity, 0);
      return state.lines.reduce((sum, l) => sum + cents(l.entry.sale_price) * l.quantity, 0);
    }
    function paid() {
      return state.payments.reduce((sum, p) => sum + p.cents, 0);
    }
    function remaining() {
      return Math.max(total() - paid(), 0);
    }

    // --- the sale in progress, kept in this tab ----------------------------------------------

    function keep() {
      if (!state.restored) return;
      if (state.ticket || !state.lines.length) sessionStorage.removeItem(SALE_KEY);
      else {
        const lines = state.lines.map((l) => ({ article_id: l.entry.article_id, quantity: l.quantity, discount: l.discount || "" }));
        sessionStorage.setItem(SALE_KEY, JSON.stringify({ lines, payments: state.payments, change: state.change, key: state.key, cartDiscount: state.cartDiscount }));
      }
    }

    function restore() {
      if (state.restored) return;
      state.restored = true;
      let kept = null;
      try {
        kept = JSON.parse(sessionStorage.getItem(SALE_KEY));
      } catch {
        kept = null;
      }
      if (!kept || state.lines.length) return keep();
      const byId = new Map(state.catalogue.map((entry) => [entry.article_id, entry]));
      state.lines = kept.lines.filter((l) => byId.has(l.article_id)).map((l) => ({ entry: byId.get(l.article_id), quantity: l.quantity, discount: l.discount || "" }));
      state.cartDiscount = kept.cartDiscount || "";
      cartDiscount.value = state.cartDiscount.replace(".", ",");
      reprice();
      // The payments and the sale's key only if every line is still there (same total, same sale).
      if (state.lines.length === kept.lines.length) Object.assign(state, { payments: kept.payments, change: kept.change, key: kept.key });
      draw();
      if (state.lines.length) say("info", "Vente en cours reprise.");
    }

    function draw() {
      keep();
      fill(
        cart,
        state.ticket
          ? el("p", { class: "muted" }, "Vente terminée : scannez ou cherchez un article pour commencer la suivante.")
          : state.lines.length
          ? el(
              "ul",
              { class: "lines" },
              state.lines.map((line) =>
                el(
                  "li",
                  { class: "line" },
                  el("span", { class: "name" }, line.entry.name, el("small", {}, ` ${euros(cents(line.entry.sale_price))} l’unité`)),
                  el(
                    "span",
                    { class: "stepper" },
                    el("button", { type: "button", "aria-label": `Un de moins : ${line.entry.name}`, onclick: () => { setQuantity(line, line.quantity - 1); focusScan(); } }, "−"),
                    el("output", { "aria-label": `Quantité de ${line.entry.name}` }, String(line.quantity)),
                    el("button", { type: "button", "aria-label": `Un de plus : ${line.entry.name}`, onclick: () => { setQuantity(line, line.quantity + 1); focusScan(); } }, "+"),
                  ),
                  el("span", { class: "amount" }, euros(cents(line.entry.sale_price) * line.quantity)),
                  el("button", { type: "button", class: "remove", "aria-label": `Retirer ${line.entry.name}`, onclick: () => { setQuantity(line, 0); focusScan(); } }, "✕"),
                  lineDiscount(line),
                ),
              ),
            )
          : el("p", { class: "muted" }, "Panier vide : scannez ou cherchez un article."),
      );
      const due = remaining();
      const ready = priced();
      fill(
        totals,
        discounted() && ready && state.priced.discount ? el("div", { class: "total-line" }, el("span", {}, "dont remises"), el("span", { "data-discount": "" }, euros(-state.priced.discount))) : null,
        discounted() && !ready ? el("p", { class: "muted" }, state.priced && state.priced.failed ? "Remise refusée : corrigez-la pour encaisser." : "Calcul de la remise…") : null,
        el("div", { class: "total-line big" }, el("span", {}, "Total TTC"), el("span", { "data-total": "" }, euros(total()))),
        state.payments.length ? el("div", { class: "total-line" }, el("span", {}, "Déjà payé"), el("span", {}, euros(paid()))) : null,
        el("div", { class: "total-line huge due" }, el("span", {}, "Reste à payer"), el("span", { "data-due": "" }, euros(due))),
        state.change ? el("div", { class: "total-line huge change" }, el("span", {}, "Rendu"), el("span", { "data-change": "" }, euros(state.change))) : null,
      );
      fill(
        payments,
        state.payments.map((p, index) =>
          el("li", {}, el("span", {}, LABELS[p.method]), el("span", { class: "amount" }, euros(p.cents)), el("button", { type: "button", class: "remove", "aria-label": `Annuler le paiement ${LABELS[p.method]} de ${euros(p.cents)}`, onclick: () => { state.payments.splice(index, 1); state.change = 0; state.key = null; draw(); focusScan(); } }, "✕")),
        ),
      );
      const empty = !state.lines.length;
      for (const button of methodButtons) button.disabled = empty || due === 0 || state.sending || !ready;
      validate.disabled = state.sending || !ready;
      cartDiscount.disabled = empty || state.payments.length > 0;
      validate.hidden = empty || due !== 0; // shown once the sale is paid in full
      given.disabled = empty || due === 0;
      given.placeholder = due ? `${amount(due).replace(".", ",")} (reste à payer)` : "";
    }

    // --- payments and the sale -------------------------------------------------------------------

    function pay(method) {
      const due = remaining();
      if (!state.lines.length || due === 0 || state.sending || !priced()) return;
      const typed = given.value.trim() ? parseEuros(given.value) : due;
      if (!Number.isFinite(typed) || typed <= 0) return refuse("Montant illisible : saisissez par exemple 20 ou 12,50.");
      if (typed > due && method !== "cash") return refuse(`Le montant dépasse le reste à payer (${euros(due)}) ; seules les espèces se rendent.`);
      state.payments.push({ method, cents: Math.min(typed, due) });
      state.change = Math.max(typed - due, 0);
      state.key = null;
      given.value = "";
      draw();
      say("ok", `${LABELS[method]} : ${euros(Math.min(typed, due))}.${state.change ? ` Rendu ${euros(state.change)}.` : ""}`);
      focusScan();
    }

    function refuse(message) {
      say("error", message);
      given.focus();
      given.select();
    }

    async function complete() {
      if (!state.lines.length || remaining() !== 0 || state.sending || !priced()) return;
      state.key = state.key || newKey(); // the same key when this sale is sent again
      state.sending = true;
      draw();
      const body = saleBody();
      try {
        const sale = await api("POST", "/api/v1/pos/sales", { body, idempotencyKey: state.key });
        state.ticket = { sale, change: state.change };
        showTicket();
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        const details = Object.values(error.errors).map(frenchMessages).join(" ");
        say("error", `La vente n’est pas enregistrée. ${error.french} ${details}`.trim(), error.status >= 500 || error.status === 0 ? "Réessayer : elle ne sera pas comptée deux fois." : null);
      } finally {
        state.sending = false;
        draw();
        focusScan();
      }
    }

    function showTicket() {
      const { sale, change } = state.ticket;
      paymentPanel.hidden = true;
      ticketPanel.hidden = false;
      fill(
        ticketPanel,
        el("h2", { id: "titre-ticket" }, "Ticket de caisse"),
        el("p", { class: "muted" }, `Le ${date(sale.completed_at)} à ${time(sale.completed_at)} — n° ${sale.id.slice(0, 8).toUpperCase()}`),
        el(
          "table",
          { class: "ticket-lines" },
          el("caption", { class: "visually-hidden" }, "Lignes du ticket"),
          el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Article"), el("th", { scope: "col", class: "num" }, "Qté"), el("th", { scope: "col", class: "num" }, "Montant"))),
          el("tbody", {}, sale.lines.map((l) => el("tr", {}, el("td", {}, l.description, el("small", {}, ` ${euros(cents(l.unit_price))} — TVA ${l.vat_rate.replace(".", ",")} %`)), el("td", { class: "num" }, String(l.quantity)), el("td", { class: "num" }, euros(cents(l.total)))))),
        ),
        el(
          "dl",
          { class: "ticket-totals" },
          el("div", {}, el("dt", {}, "Total TTC"), el("dd", { "data-ticket-total": "" }, euros(cents(sale.total)))),
          el("div", {}, el("dt", {}, "dont TVA"), el("dd", {}, euros(cents(sale.vat_total)))),
          sale.payments.map((p) => el("div", {}, el("dt", {}, LABELS[p.method] || p.method), el("dd", {}, euros(cents(p.amount))))),
          change ? el("div", { class: "change" }, el("dt", {}, "Rendu"), el("dd", {}, euros(change))) : null,
        ),
        el("div", { class: "actions" }, el("button", { type: "button", onclick: () => { window.print(); focusScan(); } }, "Imprimer le ticket"), el("button", { type: "button", class: "primary", onclick: () => { newSale(); focusScan(); } }, "Nouvelle vente")),
      );
      say("ok", `Vente enregistrée : ${euros(cents(sale.total))}.`);
    }

    function lineDiscount(line) {
      const id = `remise-${line.entry.article_id}`;
      const input = el("input", { id, type: "text", inputmode: "decimal", autocomplete: "off", placeholder: "0", value: (line.discount || "").replace(".", ",") });
      input.disabled = state.payments.length > 0;
      input.addEventListener("change", () => {
        const percent = readPercent(input.value);
        if (percent === null) {
          input.value = (line.discount || "").replace(".", ",");
          return say("error", "Remise illisible : un pourcentage, par exemple 5 ou 7,5.");
        }
        line.discount = percent;
        changed();
      });
      return el("span", { class: "discount discount-line" }, el("label", { for: id }, `Remise % — ${line.entry.name}`), input);
    }

    function newSale() {
      Object.assign(state, { lines: [], payments: [], change: 0, key: null, ticket: null, cartDiscount: "", priced: null });
      cartDiscount.value = "";
      ticketPanel.hidden = true;
      paymentPanel.hidden = false;
      feedback.replaceChildren();
      draw();
    }

    function say(kind, message, retryLabel = null) {
      fill(feedback, notice(kind, message, retryLabel ? el("button", { type: "button", class: "quiet", onclick: () => complete() }, retryLabel) : null));
    }

    function focusScan() {
      if (document.activeElement !== scan) scan.focus({ preventScroll: true });
    }
  },
};

/** What a person typed as a percentage ("5", "7,5") → "7.50"; "" for none; null when unreadable. */
export function readPercent(text) {
  const value = String(text).trim().replace(",", ".").replace(/\s*%$/, "");
  if (!value || Number(value) === 0) return "";
  if (!/^\d{1,3}(\.\d{1,2})?$/.test(value) || Number(value) >= 100) return null;
  return Number(value).toFixed(2);
}

/** "3*CODE" → {quantity: 3, code: "CODE"}. */
export function parseEntry(text) {
  const match = /^\s*(\d{1,4})\s*[*x×]\s*(.+)$/i.exec(text);
  return match ? { quantity: Math.max(Number(match[1]), 1), code: match[2].trim() } : { quantity: 1, code: text.trim() };
}

/** Lower case, without accents: "Électrolyseur" finds "electrolyseur". */
function fold(text) {
  return String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

function isField(node) {
  return node && (node.tagName === "INPUT" || node.tagName === "TEXTAREA" || node.tagName === "SELECT" || node.isContentEditable);
}

function moveInResults(event) {
  const item = event.currentTarget.closest("li");
  const target = event.key === "ArrowDown" ? item.nextElementSibling : event.key === "ArrowUp" ? item.previousElementSibling : null;
  if (event.key === "ArrowUp" && !item.previousElementSibling) {
    event.preventDefault();
    document.getElementById("scan").focus();
  } else if (target) {
    event.preventDefault();
    target.querySelector("button").focus();
  }
}

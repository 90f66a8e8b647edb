// The customer's portal (issue 27): the pool owner's own things only — what is due and the
// invoices (PDF), their pools with equipment and water analyses, interventions and signed
// slips, contracts, worksite progress, and a service request that opens an SAV ticket.
// Every read is a portal route of the API (/api/v1/portal/…): the server answers the
// caller's own customer, and 404 for anyone else's.

import { api, ApiError, everyPage, frenchMessages, newKey } from "../api.js";
import { el, field, fieldError, fill, notice } from "../dom.js";
import { cents, date, euros, number, time } from "../format.js";
import { badge, CATEGORIES, label, PARAMETERS, pdfButton, section, table } from "./outside.js";

const P = "/api/v1/portal";
/** The API's decimal ("7.90") as French writes it (7,9). */
const decimal = (value) => number(Number(value));
const LEVELS = { low: ["red", "Bas"], high: ["red", "Haut"], ok: ["green", "Correct"] };
const WARRANTY = { green: "Sous garantie", orange: "Garantie bientôt finie", red: "Hors garantie" };
const TICKET_STATUSES = { open: "Reçue", qualified: "Qualifiée", scheduled: "Planifiée", completed: "Terminée", closed: "Close" };
const PROJECT_STATUSES = { planned: "Planifié", in_progress: "En cours", handed_over: "Réceptionné", draft: "En préparation" };

export default {
  render(main) {
    const who = el("p", { class: "lead" }, "Chargement de votre espace…");
    const file = api("GET", `${P}/customer`);
    const requests = el("div", {});
    fill(
      main,
      el("h1", {}, "Mon espace"),
      who,
      el(
        "nav",
        { class: "tabs jump", "aria-label": "Sections de mon espace" },
        [
          ["#a-regler", "À régler"],
          ["#bassins", "Mes bassins"],
          ["#interventions", "Interventions"],
          ["#demande", "Demander une intervention"],
        ].map(([href, text]) => el("a", { href }, text)),
      ),
      section("a-regler", "À régler et factures", dues),
      section("bassins", "Mes bassins", (body) => pools(body, file)),
      section("interventions", "Interventions et bons signés", interventions),
      section("demande", "Demander une intervention", (body) => serviceRequest(body, file, requests), "Une panne, une eau trouble, une question : décrivez-la, nous vous rappelons pour fixer un rendez-vous."),
      el("div", { class: "block" }, requests),
      section("contrats", "Mon contrat d’entretien", contracts),
      section("chantier", "Mon chantier", worksite),
    );
    file.then(
      (customer) => fill(who, `Bonjour ${customer.display_name}. Voici vos bassins, vos interventions et vos factures.`),
      (error) => {
        if (!(error instanceof ApiError)) throw error;
        fill(who, notice("error", "Votre fiche est indisponible. ", error.french));
      },
    );
  },
};

async function dues(body) {
  const [balance, invoices] = await Promise.all([api("GET", `${P}/billing/balance`), everyPage(`${P}/billing/invoices`, {}, 5)]);
  const due = cents(balance.balance);
  const overdue = cents(balance.overdue);
  fill(
    body,
    el(
      "dl",
      { class: "figures" },
      el("div", {}, el("dt", {}, "Reste à payer"), el("dd", { class: "figure", "data-figure": "du" }, euros(due))),
      el("div", {}, el("dt", {}, "Dont en retard"), el("dd", { class: `figure${overdue > 0 ? " late" : ""}` }, euros(overdue))),
    ),
    due > 0 ? el("p", {}, "Pour régler, utilisez les coordonnées bancaires indiquées sur la facture, ou passez au magasin.") : el("p", { class: "ok" }, "Vous êtes à jour de vos paiements. Merci !"),
    invoices.items.length
      ? table(
          "Mes factures et avoirs",
          [
            ["Numéro", (i) => i.number],
            ["Date", (i) => (i.issued_on ? date(i.issued_on) : "—")],
            ["Montant TTC", (i) => euros(cents(i.total_incl_vat)), { num: true }],
            ["Reste dû", (i) => (i.kind === "credit_note" ? "avoir" : euros(cents(i.balance))), { num: true }],
            ["Échéance", (i) => dueBadge(i)],
            ["PDF", (i) => pdfButton("Télécharger", `${P}/billing/invoices/${i.id}/pdf`, `Télécharger la facture ${i.number} (PDF)`)],
          ],
          invoices.items,
          (i) => ({ "data-invoice": i.number }),
        )
      : el("p", { class: "empty" }, "Aucune facture pour l’instant."),
  );
}

function dueBadge(invoice) {
  if (invoice.kind === "credit_note" || cents(invoice.balance) <= 0) return badge("green", "Réglée");
  if (!invoice.due_on) return badge("grey", "À régler");
  const late = new Date(invoice.due_on) < new Date(new Date().toDateString());
  return badge(late ? "red" : "orange", `${late ? "En retard depuis le" : "À régler avant le"} ${date(invoice.due_on)}`);
}

async function pools(body, file) {
  const customer = await file;
  if (!customer.pools.length) {
    fill(body, el("p", { class: "empty" }, "Aucun bassin n’est encore enregistré sur votre fiche."));
    return;
  }
  fill(body, ...customer.pools.map((pool) => poolCard(pool)));
}

function poolCard(pool) {
  const analyses = el("div", { class: "analyses" }, el("p", { class: "muted" }, "Chargement des analyses…"));
  const inService = pool.equipment.filter((e) => e.status === "in_service");
  loadAnalyses(pool, analyses);
  return el(
    "article",
    { class: "pool", "data-pool": pool.id },
    el("h3", {}, pool.name, el("small", {}, ` — ${decimal(pool.volume_m3)} m³, ${decimal(pool.length_m)} × ${decimal(pool.width_m)} m`)),
    inService.length
      ? el(
          "ul",
          { class: "items" },
          inService.map((e) =>
            el(
              "li",
              {},
              el("span", {}, `${label(CATEGORIES, e.category)} ${e.brand} ${e.model}`, e.serial_number ? el("small", {}, ` n° ${e.serial_number}`) : null),
              badge(e.warranty_badge || "grey", `${WARRANTY[e.warranty_badge] || "Garantie"} (${date(e.warranty_ends_on)})`),
            ),
          ),
        )
      : el("p", { class: "muted" }, "Aucun équipement enregistré."),
    el("h4", {}, "Analyses de l’eau"),
    analyses,
  );
}

async function loadAnalyses(pool, box) {
  try {
    const page = await api("GET", `${P}/pools/${pool.id}/analyses`, { query: { limit: 5 } });
    if (!page.items.length) {
      fill(box, el("p", { class: "empty" }, "Pas encore d’analyse. Apportez un échantillon au magasin : l’analyse est gratuite."));
      return;
    }
    const [last, ...older] = page.items;
    fill(
      box,
      table(
        `Dernière analyse, le ${date(last.recorded_at)}`,
        [
          ["Mesure", (r) => label(PARAMETERS, r.parameter)],
          ["Valeur", (r) => decimal(r.value), { num: true }],
          ["Cible", (r) => (r.low !== null && r.high !== null ? `${decimal(r.low)} à ${decimal(r.high)}` : "—")],
          ["", (r) => badge(...(LEVELS[r.level] || ["grey", r.level]))],
        ],
        last.readings,
      ),
      last.recommendation.length ? el("ul", { class: "advice" }, last.recommendation.map((a) => el("li", {}, a.advice))) : el("p", { class: "ok" }, "Eau équilibrée : rien à ajouter."),
      older.length ? el("p", { class: "muted" }, `Analyses précédentes : ${older.map((a) => date(a.recorded_at)).join(", ")}.`) : null,
    );
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    fill(box, notice("error", "Analyses indisponibles. ", error.french));
  }
}

async function interventions(body) {
  const page = await api("GET", `${P}/sav/interventions`, { query: { limit: 20 } });
  if (!page.items.length) {
    fill(body, el("p", { class: "empty" }, "Aucune intervention pour l’instant."));
    return;
  }
  fill(
    body,
    el(
      "ul",
      { class: "items interventions" },
      page.items.map((i) =>
        el(
          "li",
          { "data-intervention": i.ticket_number },
          el(
            "span",
            {},
            el("strong", {}, `${date(i.starts_at)} à ${time(i.starts_at)}`),
            ` — ${i.ticket_number}`,
            i.report ? el("small", { class: "report" }, i.report) : null,
          ),
          i.status === "completed"
            ? el("span", {}, badge("green", `Signé par ${i.signer_name}`), " ", pdfButton("Bon signé (PDF)", `${P}/sav/interventions/${i.id}/slip`, `Bon d’intervention ${i.ticket_number} signé (PDF)`))
            : badge("orange", "Prévue"),
        ),
      ),
    ),
  );
}

async function serviceRequest(body, file, requests) {
  const customer = await file;
  const options = [];
  for (const pool of customer.pools) {
    options.push(el("option", { value: `pool:${pool.id}` }, `${pool.name} (le bassin)`));
    for (const e of pool.equipment.filter((x) => x.status === "in_service")) {
      options.push(el("option", { value: `equipment:${e.id}` }, `${pool.name} — ${label(CATEGORIES, e.category)} ${e.brand} ${e.model}`));
    }
  }
  if (!options.length) {
    fill(body, el("p", { class: "empty" }, "Aucun bassin sur votre fiche : appelez-nous pour une intervention."));
    return;
  }
  const what = el("select", { id: "demande-objet" }, options);
  const description = el("textarea", { id: "demande-description", rows: 4, maxlength: 5000 });
  const urgent = el("input", { type: "checkbox", id: "demande-urgente" });
  const messages = el("div", { class: "messages" });
  const send = el("button", { type: "submit", class: "primary" }, "Envoyer ma demande");
  let key = newKey(); // one request, however many times it is sent
  fill(
    body,
    el(
      "form",
      { novalidate: true, onsubmit: submit },
      field("Pour quoi ?", what),
      field("Que se passe-t-il ?", description, "Ce que vous constatez, depuis quand, un code affiché…"),
      el("div", { class: "field check" }, urgent, el("label", { for: "demande-urgente" }, "C’est urgent (plus de filtration, fuite…)")),
      messages,
      send,
    ),
  );
  listRequests(requests);

  async function submit(event) {
    event.preventDefault();
    fieldError(description, null);
    messages.replaceChildren();
    if (!description.value.trim()) {
      fieldError(description, "Décrivez en quelques mots ce qui se passe.");
      description.focus();
      return;
    }
    const [kind, id] = what.value.split(":");
    send.disabled = true;
    try {
      const ticket = await api("POST", `${P}/sav/service-requests`, {
        body: { [kind === "pool" ? "pool_id" : "equipment_id"]: id, description: description.value.trim(), priority: urgent.checked ? "urgent" : "normal" },
        idempotencyKey: key,
      });
      key = newKey();
      description.value = "";
      urgent.checked = false;
      messages.append(notice("ok", `Demande ${ticket.number} envoyée. Nous vous rappelons pour fixer un rendez-vous.`));
      listRequests(requests);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.errors.description) fieldError(description, frenchMessages(error.errors.description));
      messages.append(notice("error", error.french));
    } finally {
      send.disabled = false;
    }
  }
}

async function listRequests(box) {
  try {
    const page = await api("GET", `${P}/sav/tickets`, { query: { limit: 10 } });
    fill(
      box,
      page.items.length
        ? el(
            "section",
            { class: "panel", "aria-labelledby": "mes-demandes" },
            el("h2", { id: "mes-demandes" }, "Mes demandes"),
            el("ul", { class: "items requests" }, page.items.map((t) => el("li", { "data-ticket": t.number }, el("span", {}, el("strong", {}, t.number), ` du ${date(t.opened_at)} — ${t.description}`), badge(t.status === "completed" ? "green" : "orange", TICKET_STATUSES[t.status] || t.status)))),
          )
        : null,
    );
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    fill(box, notice("error", "Vos demandes sont indisponibles. ", error.french));
  }
}

async function contracts(body) {
  const page = await api("GET", `${P}/contracts`, { query: { limit: 10 } });
  if (!page.items.length) {
    fill(body, el("p", { class: "empty" }, "Pas de contrat d’entretien. Ouverture, fermeture et visites régulières : demandez-nous un devis."));
    return;
  }
  fill(
    body,
    el(
      "ul",
      { class: "items" },
      page.items.map((c) =>
        el(
          "li",
          {},
          el("span", {}, el("strong", {}, c.formula), el("small", {}, ` du ${date(c.starts_on)} au ${date(c.ends_on)}, ${c.visits_per_season} visites — ${euros(cents(c.price_excl_vat))} HT`)),
          badge(c.status === "active" ? c.expiry_badge || "green" : "grey", c.status === "active" ? "En cours" : c.status === "expired" ? "Terminé" : "Résilié"),
        ),
      ),
    ),
  );
}

async function worksite(body) {
  const page = await api("GET", `${P}/worksites/projects`, { query: { limit: 5 } });
  if (!page.items.length) {
    fill(body, el("p", { class: "empty" }, "Aucun chantier en cours."));
    return;
  }
  fill(
    body,
    ...page.items.map((p) =>
      el(
        "article",
        { class: "project" },
        el("h3", {}, `Chantier ${p.pool_type_code} — ${PROJECT_STATUSES[p.status] || p.status}`),
        el("p", {}, el("progress", { max: 100, value: p.progress_percent, "aria-label": "Avancement du chantier" }), ` ${p.progress_percent} % des étapes faites`),
        p.filling_date ? el("p", {}, `Mise en eau prévue le ${date(p.filling_date)}.`) : null,
        el("ol", { class: "steps" }, p.tasks.map((t) => el("li", { class: t.status === "done" ? "done" : null }, t.name, " ", t.status === "done" ? badge("green", "Fait") : t.planned_start ? el("small", {}, `prévu le ${date(t.planned_start)}`) : null))),
      ),
    ),
  );
}

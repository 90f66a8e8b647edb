// The SAV desk: a ticket opened from an equipment (found by its serial number or in the
// customer's file), who covers it and why (the sav service decides: warranty, legal
// guarantee, contract), the guided questions, a slot picked in a technician's agenda (the
// free slots come from the sav service), and each technician's proposed route of the day.

import { api, ApiError, everyPage, newKey } from "../api.js";
import { debounce, el, field, fill, notice, uid } from "../dom.js";
import { time } from "../format.js";
import { day, dayNumber, isoDay, today, useFieldStyles } from "../field.js";

const SAV = "/api/v1/sav";
const CATEGORIES = {
  heat_pump: "Pompe à chaleur",
  pump: "Pompe",
  filtration_pump: "Pompe de filtration",
  robot: "Robot",
  robot_cleaner: "Robot nettoyeur",
  controller: "Régulateur",
  sand_filter: "Filtre à sable",
  cartridge_filter: "Filtre à cartouche",
  salt_chlorinator: "Électrolyseur",
  multiport_valve: "Vanne multivoies",
  lighting: "Éclairage",
  cover: "Couverture",
  liner: "Liner",
  structure: "Structure",
};
const COVERAGE = {
  manufacturer_warranty: ["badge-green", "Sous garantie constructeur"],
  legal_guarantee: ["badge-green", "Garantie légale"],
  contract: ["badge-green", "Contrat d’entretien"],
  none: ["badge-red", "Hors garantie"],
};

export default {
  render(main, { navigate }) {
    useFieldStyles();
    const params = new URLSearchParams(location.search);
    const view = params.get("vue") === "tournees" ? "tournees" : "ticket";
    const tabs = [
      { id: "ticket", label: "Nouveau ticket", href: "/sav" },
      { id: "tournees", label: "Tournées du jour", href: "/sav?vue=tournees" },
    ];
    const body = el("div", {});
    fill(
      main,
      el("h1", {}, "SAV"),
      el("nav", { class: "tabs", "aria-label": "Vues du SAV" }, tabs.map((t) => el("a", { href: t.href, "data-link": true, "aria-current": t.id === view ? "page" : null }, t.label))),
      body,
    );
    if (view === "tournees") routes(body, params, navigate);
    else desk(body, params.get("equipement"));
  },
};

function problem(error) {
  if (!(error instanceof ApiError)) throw error;
  return error.problem.detail || error.french;
}

// --- the desk: equipment → ticket → questions → slot ------------------------------------------

/** The desk; ``equipmentId`` (``/sav?equipement=…``, a link from the customer file): that
 * equipment chosen at once. */
function desk(body, equipmentId = null) {
  const state = { equipment: null, customer: null, ticket: null };
  const finder = el("section", { class: "panel", "aria-labelledby": "trouver" });
  const ticketArea = el("section", { class: "panel", "aria-labelledby": "ticket-titre", hidden: true });
  const questionArea = el("section", { class: "panel", "aria-labelledby": "questions-titre", hidden: true });
  const slotArea = el("section", { class: "panel", "aria-labelledby": "creneau-titre", hidden: true });
  fill(body, el("div", { class: "desk" }, finder, ticketArea, questionArea, slotArea));

  // 1. The equipment: by serial number, or a customer's.
  const search = el("input", { id: "recherche-sav", type: "search", autocomplete: "off", spellcheck: "false", placeholder: "ex. HP-2024-001742, Durand, 06 12…" });
  const results = el("div", { "aria-live": "polite" });
  const chosen = el("div", { "aria-live": "polite" });
  fill(
    finder,
    el("h2", { id: "trouver" }, "1. L’équipement en panne"),
    field("Numéro de série, client ou téléphone", search, "Le numéro de série se lit sur la plaque de l’appareil."),
    results,
    chosen,
  );
  let generation = 0;
  const find = async () => {
    const query = search.value.trim();
    const mine = ++generation;
    if (query.length < 2) return results.replaceChildren();
    try {
      const page = await api("GET", "/api/v1/customers/customers", { query: { q: query, limit: 8 } });
      if (mine !== generation) return;
      if (!page.items.length) return fill(results, el("p", { class: "empty" }, `Aucun client ni équipement ne correspond à « ${query} ».`));
      const files = await Promise.all(page.items.map((c) => api("GET", `/api/v1/customers/customers/${c.id}`)));
      if (mine !== generation) return;
      const wanted = query.toUpperCase().replace(/\s+/g, "");
      const exact = files.flatMap((f) => equipmentOf(f).filter((e) => (e.serial_number || "").toUpperCase().replace(/\s+/g, "") === wanted).map((e) => [f, e]));
      if (exact.length === 1) return choose(exact[0][0], exact[0][1]);
      fill(results, files.map((file) => customerEquipment(file, choose)));
    } catch (error) {
      fill(results, notice("error", "La recherche n’a pas abouti. ", problem(error)));
    }
  };
  search.addEventListener("input", debounce(find, 250));
  search.focus();
  if (equipmentId) {
    api("GET", `/api/v1/customers/equipment/${equipmentId}`)
      .then((equipment) => api("GET", `/api/v1/customers/customers/${equipment.customer_id}`).then((file) => choose(file, equipment)))
      .catch((error) => fill(results, notice("error", "Cet équipement n’a pas pu être lu. ", problem(error))));
  }

  async function choose(customer, equipment) {
    state.customer = customer;
    state.equipment = equipment;
    results.replaceChildren();
    fill(chosen, el("p", { class: "loading" }, "Lecture de la garantie…"));
    let cover = null;
    try {
      cover = await api("GET", `${SAV}/equipment/${equipment.id}`);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 404) throw error;
    }
    const description = el("textarea", { id: uid("panne"), rows: 3, required: true, placeholder: "ex. s’arrête au bout de 5 minutes, affiche E03" });
    const channel = el("select", { id: uid("canal") }, [["phone", "Téléphone"], ["shop", "Magasin"], ["email", "E-mail"], ["portal", "Portail client"]].map(([v, l]) => el("option", { value: v }, l)));
    const priority = el("select", { id: uid("priorite") }, [["normal", "Normale"], ["urgent", "Urgente"], ["low", "Basse"]].map(([v, l]) => el("option", { value: v }, l)));
    const form = el(
      "form",
      {},
      field("Panne décrite par le client", description),
      el("div", { class: "two-fields" }, field("Canal", channel), field("Priorité", priority)),
      el("button", { type: "submit", class: "primary" }, "Ouvrir le ticket"),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!description.value.trim()) return description.focus();
      const body = { equipment_id: equipment.id, channel: channel.value, priority: priority.value, description: description.value.trim() };
      try {
        state.ticket = await api("POST", `${SAV}/tickets`, { body, idempotencyKey: newKey() });
        showTicket();
      } catch (error) {
        form.append(notice("error", "Le ticket n’a pas pu être ouvert. ", problem(error)));
      }
    });
    fill(
      chosen,
      el("h3", {}, `${CATEGORIES[equipment.category] || equipment.category} ${equipment.brand} ${equipment.model}`),
      el("p", {}, `${customer.display_name} · n° de série ${equipment.serial_number || "—"} · installé le ${day(equipment.installed_on)}`),
      cover ? coverage(cover) : notice("info", "Cet équipement n’est pas encore connu du SAV (la fiche client vient d’être modifiée) : la garantie sera calculée à l’ouverture du ticket."),
      form,
    );
    description.focus();
  }

  // 2. The ticket: who covers it and why.
  function showTicket() {
    const t = state.ticket;
    ticketArea.hidden = false;
    fill(
      ticketArea,
      el("h2", { id: "ticket-titre" }, `2. Ticket ${t.number}`),
      el("p", {}, `${t.customer_name || state.customer?.display_name || ""} — ${t.description}`),
      coverage(t),
    );
    finder.hidden = true;
    questions();
    slots();
    ticketArea.querySelector("h2").setAttribute("tabindex", "-1");
    ticketArea.querySelector("h2").focus();
  }

  // 3. The guided questions.
  async function questions(answers = null) {
    questionArea.hidden = false;
    const heading = el("h2", { id: "questions-titre" }, "3. Questions de qualification");
    let q;
    try {
      q = answers
        ? await api("POST", `${SAV}/tickets/${state.ticket.id}/qualification`, { body: { answers }, idempotencyKey: newKey() })
        : await api("GET", `${SAV}/tickets/${state.ticket.id}/qualification`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 422 && !answers) {
        return fill(questionArea, heading, el("p", { class: "empty" }, "Pas de questions prévues pour cet équipement : décrivez la panne au technicien. Les questions se règlent dans les paramètres."));
      }
      return fill(questionArea, heading, notice("error", problem(error)));
    }
    const given = q.answers.map((a) => ({ question: a.question, answer: a.answer }));
    const asked = el("ol", { class: "answers" }, q.answers.map((a) => el("li", {}, `${a.text} `, el("strong", {}, a.answer))));
    let next = null;
    if (q.next_question) {
      const question = q.next_question;
      if (question.kind === "choice") {
        next = el(
          "fieldset",
          { class: "question" },
          el("legend", {}, question.text),
          el("div", { class: "choices" }, question.choices.map((c) => el("button", { type: "button", onclick: () => questions([...given, { question: question.key, answer: c.value }]) }, c.label || c.value))),
        );
      } else {
        const input = el("input", { id: uid("reponse"), type: "text" });
        next = el("form", {}, field(question.text, input), el("button", { type: "submit" }, "Valider la réponse"));
        next.addEventListener("submit", (event) => {
          event.preventDefault();
          questions([...given, { question: question.key, answer: input.value.trim() }]);
        });
      }
    }
    fill(
      questionArea,
      heading,
      q.answers.length ? asked : null,
      next,
      q.complete ? notice("ok", "Qualification terminée.", q.suggested_service ? ` Prestation conseillée : ${q.suggested_service.name} (${q.suggested_service.code}).` : "") : null,
    );
    if (q.suggested_service) slots(q.suggested_service.id);
    questionArea.querySelector(".choices button, input")?.focus();
  }

  // 4. A slot in a technician's agenda.
  let slotsLoaded = null;
  let picked = null; // {service, refresh} once the picker is built: a suggestion only changes the service
  async function slots(suggested = null) {
    slotArea.hidden = false;
    if (!slotsLoaded) slotsLoaded = Promise.all([everyPage(`${SAV}/technicians`), everyPage(`${SAV}/standard-services`)]);
    let technicians, services;
    try {
      [{ items: technicians }, { items: services }] = await slotsLoaded;
    } catch (error) {
      return fill(slotArea, notice("error", "Les techniciens n’ont pas pu être lus. ", problem(error)));
    }
    if (picked) {
      if (suggested && picked.service.value !== suggested) {
        picked.service.value = suggested;
        picked.refresh();
      }
      return;
    }
    if (!technicians.length) return fill(slotArea, el("h2", { id: "creneau-titre" }, "4. Créneau"), el("p", { class: "empty" }, "Aucun technicien : ajoutez-en dans les paramètres."));
    const technician = el("select", { id: uid("technicien") }, technicians.map((t) => el("option", { value: t.id }, t.name)));
    const service = el("select", { id: uid("prestation") }, el("option", { value: "" }, "Sans prestation type (1 h)"), services.map((s) => el("option", { value: s.id, selected: s.id === suggested }, `${s.name} (${s.duration_minutes} min)`)));
    const when = el("input", { id: uid("jour"), type: "date", value: isoDay(dayNumber(today()) + 1) });
    const picker = el("div", { "aria-live": "polite" });
    const refresh = () => showSlots(picker, technician.value, service.value, services, when.value);
    for (const input of [technician, service, when]) input.addEventListener("change", refresh);
    picked = { service, refresh };
    fill(slotArea, el("h2", { id: "creneau-titre" }, "4. Créneau dans l’agenda"), el("div", { class: "two-fields" }, field("Technicien", technician), field("Prestation", service)), field("Jour", when), picker);
    refresh();
  }

  let reading = 0;
  async function showSlots(picker, technicianId, serviceId, services, date) {
    const service = services.find((s) => s.id === serviceId);
    const minutes = service ? service.duration_minutes : 60;
    const mine = ++reading;
    fill(picker, el("p", { class: "loading" }, "Lecture de l’agenda…"));
    let free, agenda;
    try {
      [free, agenda] = await Promise.all([
        api("GET", `${SAV}/technicians/${technicianId}/free-slots`, { query: { date, duration_minutes: minutes } }),
        api("GET", `${SAV}/technicians/${technicianId}/day`, { query: { date } }),
      ]);
    } catch (error) {
      if (mine === reading) fill(picker, notice("error", "L’agenda n’a pas pu être lu. ", problem(error)));
      return;
    }
    if (mine !== reading) return; // another technician, service or day chosen meanwhile
    let chosen = null;
    const book = el("button", { type: "button", class: "primary", disabled: true }, "Réserver ce créneau");
    const buttons = free.slots.map((slot) =>
      el("button", {
        type: "button",
        "aria-pressed": "false",
        onclick: (event) => {
          chosen = slot;
          for (const b of picker.querySelectorAll(".slots button")) b.setAttribute("aria-pressed", String(b === event.currentTarget));
          book.disabled = false;
          book.textContent = `Réserver ${time(slot.starts_at)}–${time(slot.ends_at)}`;
        },
      }, time(slot.starts_at)),
    );
    book.addEventListener("click", async () => {
      if (!chosen) return;
      const body = { ticket_id: state.ticket.id, technician_id: technicianId, service_id: serviceId || null, starts_at: chosen.starts_at, ends_at: serviceId ? null : chosen.ends_at };
      try {
        const booked = await api("POST", `${SAV}/interventions`, { body, idempotencyKey: newKey() });
        fill(picker, notice("ok", `Intervention planifiée le ${day(date)} de ${time(booked.starts_at)} à ${time(booked.ends_at)}. Le client en est prévenu.`));
      } catch (error) {
        picker.append(notice("error", "Ce créneau n’a pas pu être réservé (pris entre-temps ?). ", problem(error)));
        showSlots(picker, technicianId, serviceId, services, date);
      }
    });
    fill(
      picker,
      el("h3", {}, `Créneaux libres de ${minutes} min`),
      buttons.length ? el("ul", { class: "slots", "aria-label": "Créneaux libres" }, buttons.map((b) => el("li", {}, b))) : el("p", { class: "empty" }, "Aucun créneau libre ce jour-là : essayez un autre jour ou un autre technicien."),
      book,
      el("h3", {}, "Déjà prévu ce jour-là"),
      agenda.interventions.length
        ? el("ul", { class: "agenda" }, agenda.interventions.map((i) => el("li", {}, `${time(i.starts_at)}–${time(i.ends_at)} · ${i.ticket_number}`)))
        : el("p", { class: "empty" }, "Rien encore."),
    );
  }
}

function equipmentOf(file) {
  return (file.pools || []).flatMap((pool) => (pool.equipment || []).filter((e) => e.status === "in_service"));
}

function customerEquipment(file, choose) {
  const equipment = equipmentOf(file);
  return el(
    "div",
    { class: "customer-equipment" },
    el("h3", {}, `${file.display_name}${file.sites?.[0] ? ` — ${file.sites[0].city}` : ""}`),
    equipment.length
      ? el(
          "ul",
          { class: "equipment-list" },
          equipment.map((e) =>
            el(
              "li",
              {},
              el(
                "button",
                { type: "button", onclick: () => choose(file, e) },
                el("strong", {}, `${CATEGORIES[e.category] || e.category} ${e.brand} ${e.model}`),
                el("span", {}, `n° ${e.serial_number || "—"}`),
                el("span", {}, `garantie jusqu’au ${day(e.warranty_ends_on)}`),
              ),
            ),
          ),
        )
      : el("p", { class: "empty" }, "Aucun équipement enregistré sur ses bassins."),
  );
}

function coverage(item) {
  const [kind, label] = COVERAGE[item.covered_by] || ["badge-grey", item.covered_by];
  return el("p", { class: "coverage", "data-coverage": item.covered_by }, el("span", { class: `badge ${kind}` }, label), el("span", { class: "coverage-reason" }, item.coverage_reason));
}

// --- the routes of the day ---------------------------------------------------------------------

async function routes(body, params, navigate) {
  const date = params.get("jour") || today();
  const when = el("input", { id: "jour-tournee", type: "date", value: date });
  when.addEventListener("change", () => navigate(`/sav?vue=tournees&jour=${when.value}`, { replace: true }));
  const list = el("div", { "aria-live": "polite" }, el("p", { class: "loading" }, "Calcul des tournées…"));
  fill(body, field("Jour", when), list);
  try {
    const { items } = await everyPage(`${SAV}/technicians`);
    if (!items.length) return fill(list, el("p", { class: "empty" }, "Aucun technicien pour l’instant."));
    // A route starts and ends at the technician's base: without one, none is proposed.
    const located = (t) => t.base_latitude !== null && t.base_longitude !== null;
    const proposals = await Promise.all(items.map((t) => (located(t) ? api("GET", `${SAV}/technicians/${t.id}/route`, { query: { date } }).catch((error) => error) : null)));
    fill(list, items.map((t, i) => route(t, proposals[i], date)));
  } catch (error) {
    fill(list, notice("error", "Les tournées n’ont pas pu être calculées. ", problem(error)));
  }
}

function route(technician, proposal, date) {
  const heading = el("h2", {}, technician.name);
  if (proposal === null) return el("section", { class: "panel route" }, heading, el("p", { class: "empty" }, "Pas de point de départ (le magasin, ou le domicile du technicien) : renseignez-le dans sa fiche pour qu’une tournée soit proposée."));
  if (proposal instanceof Error) return el("section", { class: "panel route" }, heading, notice("error", problem(proposal)));
  if (!proposal.visits.length && !proposal.unplaced.length) return el("section", { class: "panel route" }, heading, el("p", { class: "empty" }, `Aucune intervention le ${day(date)}.`));
  const km = (value) => `${String(value).replace(".", ",")} km`;
  return el(
    "section",
    { class: "panel route", "aria-label": `Tournée de ${technician.name}` },
    heading,
    el("p", {}, `Tournée proposée : ${km(proposal.total_km)}`, proposal.booked_order_km ? ` (dans l’ordre des réservations : ${km(proposal.booked_order_km)})` : "", `, retour vers ${time(proposal.back_at)}.`),
    el("ol", {}, proposal.visits.map((v) => el("li", {}, el("strong", {}, `${time(v.starts_at)}–${time(v.ends_at)}`), ` · ${v.ticket_number} · arrivée ${time(v.arrives_at)} · ${km(v.km_from_previous)}`))),
    proposal.unplaced.length ? notice("info", `${proposal.unplaced.length} intervention(s) sans coordonnées : placez-les à la main.`) : null,
  );
}

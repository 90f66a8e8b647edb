// The technician's phone (issue #27, ADR 0027): the day downloaded in the morning, then each
// visit done with or without network — checklist, report (dictated where the browser can),
// photos, parts from the van, the customer's signature — every action written to the phone
// first (IndexedDB) and queued with its own Idempotency-Key, sent when the network is back.
// Installable (web app manifest), and a service worker keeps the app and the day for a
// reload in a garden. One hand, big buttons, the network state and the actions waiting
// always in view.

import { api, ApiError, currentSession, SessionExpired } from "../api.js";
import { debounce, el, field, fill, notice, uid } from "../dom.js";
import { longDate, time } from "../format.js";
import * as outbox from "../technician/outbox.js";
import { signaturePad } from "../technician/signature.js";
import { DAYS, DRAFTS, ETAGS, get, put } from "../technician/store.js";

// localStorage: {id, name} of the SAV technician this user is, on this phone
const who = () => `bassin.technicien.${currentSession()?.user?.id || ""}`;
const INTERVENTIONS = "/api/v1/sav/interventions";
const PHOTO_MAX_PX = 1280;
const CATEGORY = {
  heat_pump: "Pompe à chaleur",
  pump: "Pompe",
  filtration_pump: "Pompe de filtration",
  filter: "Filtre",
  chlorinator: "Électrolyseur",
  robot: "Robot",
  robot_cleaner: "Robot",
  lighting: "Éclairage",
  cover: "Couverture",
};
const COVERED = { none: "Facturable", manufacturer_warranty: "Garantie constructeur", legal_guarantee: "Garantie légale", contract: "Contrat d’entretien" };

export default { title: "Ma journée", render };

let installPrompt = null;
window.addEventListener("beforeinstallprompt", (event) => {
  event.preventDefault();
  installPrompt = event;
});

function render(main, context) {
  const view = { main, context, technician: null, day: null, visitId: null, ready: false, gone: false };
  view.status = el("section", { class: "tech-status", "aria-label": "Réseau et envois" });
  view.body = el("div", { class: "tech" });
  fill(main, view.status, view.body);
  setUpPage(view);

  const redraw = () => {
    if (view.gone) return;
    drawStatus(view);
    if (view.visitId) drawVisitState(view);
    else if (view.day) drawDay(view);
  };
  const online = () => {
    redraw();
    outbox.flush();
    if (view.technician) download(view).then(redraw);
  };
  const unsubscribe = outbox.subscribe(redraw);
  window.addEventListener("online", online);
  window.addEventListener("offline", redraw);
  view.redraw = redraw;
  start(view).catch((error) => failed(view, error));
  return () => {
    view.gone = true;
    unsubscribe();
    window.removeEventListener("online", online);
    window.removeEventListener("offline", redraw);
  };
}

// --- the page: installable, its own stylesheet, the service worker ----------------------------

function setUpPage(view) {
  if (!document.querySelector('link[rel="manifest"]')) {
    document.head.append(el("link", { rel: "manifest", href: "/ui/technician/manifest.webmanifest" }));
    document.head.append(el("meta", { name: "theme-color", content: "#0b4f8a" }));
  }
  if (!document.querySelector('link[href="/ui/technician/technician.css"]')) {
    document.head.append(el("link", { rel: "stylesheet", href: "/ui/technician/technician.css" }));
  }
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/technicien-sw.js", { scope: "/technicien" }).catch(() => {
    view.swError = true; // no offline reload (private browsing...): the outbox still works
  });
  // Once the worker controls the page, ask again through it what a reload will need offline.
  const warm = async () => {
    try {
      await api("GET", "/ui/me");
      if (view.technician) await download(view);
      view.ready = true;
    } catch {
      view.ready = false;
    }
    view.redraw?.();
  };
  if (navigator.serviceWorker.controller) navigator.serviceWorker.ready.then(() => setTimeout(warm, 0));
  navigator.serviceWorker.addEventListener("controllerchange", warm, { once: true });
}

// --- the day ---------------------------------------------------------------------------------

const today = () => {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
};

async function start(view) {
  await outbox.prune();
  drawStatus(view);
  view.technician = JSON.parse(localStorage.getItem(who()) || "null");
  if (!view.technician) {
    if (!navigator.onLine) {
      fill(view.body, el("h1", {}, "Ma journée"), notice("error", "Ce téléphone n’a pas encore téléchargé de journée : ouvrez cette page une première fois avec du réseau."));
      return;
    }
    view.technician = await whoAmI(view);
    if (!view.technician) return; // the chooser is shown
  }
  view.day = await get(DAYS, dayKey(view));
  if (view.day) drawDay(view);
  else fill(view.body, el("h1", {}, "Ma journée"), el("p", { class: "loading" }, "Téléchargement de la journée…"));
  await download(view);
  if (!view.gone && !view.visitId) drawDay(view);
  outbox.flush();
}

const dayKey = (view) => `${view.technician.id}/${today()}`;

/** The technician using this phone: the one named as the user, else chosen once. */
async function whoAmI(view) {
  const page = await api("GET", "/api/v1/sav/technicians", { query: { limit: 200 } });
  const name = (currentSession()?.user?.full_name || "").trim().toLowerCase();
  const same = page.items.filter((t) => t.name.trim().toLowerCase() === name);
  if (same.length === 1) return remember(same[0]);
  const select = el("select", { id: uid("technicien") }, page.items.map((t) => el("option", { value: t.id }, t.name)));
  const choose = () => {
    const chosen = page.items.find((t) => t.id === select.value);
    if (!chosen) return;
    view.technician = remember(chosen);
    start(view).catch((error) => failed(view, error));
  };
  fill(
    view.body,
    el("h1", {}, "Ma journée"),
    page.items.length
      ? [el("p", {}, "Quel technicien utilise ce téléphone ? Ce choix est gardé sur ce téléphone."), field("Technicien", select), el("button", { type: "button", class: "primary wide", onclick: choose }, "C’est moi")]
      : notice("info", "Aucun technicien n’est encore créé : le bureau l’ajoute dans le SAV, avec son camion."),
  );
  return null;
}

function remember(technician) {
  const chosen = { id: technician.id, name: technician.name };
  localStorage.setItem(who(), JSON.stringify(chosen));
  return chosen;
}

/** Download the day (the aggregate): kept on the phone; the versions of the visits without
 * an edit waiting are taken as the ones the technician now works from. */
async function download(view) {
  if (!navigator.onLine) return;
  try {
    const answer = await api("GET", `/api/v1/technician-days/${view.technician.id}`, { query: { date: today() } });
    if (answer.day.status !== "ok") {
      view.downloadError = "Le SAV ne répond pas : la journée gardée sur le téléphone est affichée.";
      return;
    }
    const waiting = new Set((await outbox.entries()).filter((e) => e.status === outbox.PENDING || e.status === outbox.CONFLICT).map((e) => e.intervention_id));
    for (const visit of answer.day.visits) {
      const id = visit.intervention.id;
      if (!waiting.has(id)) await put(ETAGS, `"${visit.intervention.version}"`, id);
    }
    await put(DAYS, answer, dayKey(view));
    view.day = answer;
    view.downloadError = null;
  } catch (error) {
    if (error instanceof SessionExpired) throw error;
    if (!(error instanceof ApiError)) throw error;
    view.downloadError = error.status === 0 ? null : error.french;
  }
}

function failed(view, error) {
  if (error instanceof SessionExpired) throw error;
  fill(view.body, el("h1", {}, "Ma journée"), notice("error", error instanceof ApiError ? error.french : "Erreur inattendue sur ce téléphone."));
  if (!(error instanceof ApiError)) throw error;
}

// --- the indicator: network, actions waiting, conflicts ------------------------------------------

async function drawStatus(view) {
  const { waiting, conflicts, refused } = await outbox.summary();
  const online = navigator.onLine;
  const send = el("button", { type: "button", class: "primary", disabled: !online || !waiting, onclick: () => outbox.flush() }, "Envoyer maintenant");
  const install = installPrompt
    ? el("button", { type: "button", onclick: () => installPrompt.prompt().finally(() => (installPrompt = null)) }, "Installer l’application")
    : null;
  fill(
    view.status,
    el(
      "div",
      { class: "tech-line" },
      el("span", { class: `badge ${online ? "badge-green" : "badge-grey"}`, "data-network": online ? "online" : "offline" }, online ? "En ligne" : "Hors ligne"),
      el("span", { class: "tech-waiting", role: "status", "data-waiting": waiting }, waiting ? `${waiting} action${waiting > 1 ? "s" : ""} en attente d’envoi` : "Tout est envoyé"),
      send,
      install,
    ),
    view.ready ? el("p", { class: "tech-ready" }, "Prête pour travailler hors ligne") : null,
    outbox.state.sessionExpired ? notice("error", "Votre session a expiré : reconnectez-vous pour envoyer ce qui attend (rien n’est perdu).") : null,
    outbox.state.lastError && online ? notice("info", outbox.state.lastError) : null,
    conflicts.map((entry) =>
      notice("error", `Conflit — ${entry.label} : le bureau a modifié cette intervention entre-temps. `, el("button", { type: "button", onclick: () => openVisit(view, entry.intervention_id) }, "Voir et choisir")),
    ),
    refused.map((entry) => notice("error", `Refusé — ${entry.label} : ${entry.problem || "valeurs refusées"}.`)),
  );
}

function visitState(visit, entries) {
  const mine = entries.filter((e) => e.intervention_id === visit.intervention.id);
  if (mine.some((e) => e.status === outbox.CONFLICT)) return ["Conflit", "badge-red"];
  const signature = mine.find((e) => e.kind === "signature" && e.status !== outbox.DROPPED);
  if (visit.intervention.status === "completed" || signature?.status === outbox.SENT) return ["Terminée", "badge-green"];
  if (signature) return ["Signée, à envoyer", "badge-orange"];
  return ["À faire", "badge-grey"];
}

async function drawDay(view) {
  if (view.visitId || !view.day) return;
  const entries = await outbox.entries();
  const { day, van } = view.day;
  const visits = day.visits || [];
  fill(
    view.body,
    el("h1", {}, "Ma journée"),
    el("p", { class: "lead" }, `${view.technician.name} — ${longDate(`${view.day.date}T12:00:00`)}`),
    el("p", { class: "muted" }, `Journée téléchargée à ${time(view.day.downloaded_at)}`, !navigator.onLine ? " (hors ligne : la copie du téléphone)" : ""),
    view.downloadError ? notice("info", view.downloadError) : null,
    visits.length
      ? el(
          "ol",
          { class: "visits" },
          visits.map((visit) => {
            const [label, badge] = visitState(visit, entries);
            const customer = visit.file.customer;
            return el(
              "li",
              {},
              el(
                "button",
                { type: "button", class: "visit", onclick: () => openVisit(view, visit.intervention.id) },
                el("span", { class: "visit-time" }, `${time(visit.intervention.starts_at)}–${time(visit.intervention.ends_at)}`),
                el("span", { class: "visit-who" }, customer ? customer.display_name : `Client (${visit.intervention.ticket_number})`),
                el("span", { class: "visit-where" }, visit.file.site ? visit.file.site.city : ""),
                el("span", { class: "visit-what" }, visit.ticket ? visit.ticket.description : visit.intervention.ticket_number),
                el("span", { class: `badge ${badge}` }, label),
              ),
            );
          }),
        )
      : el("p", { class: "empty" }, "Aucune intervention aujourd’hui."),
    el("h2", {}, "Dans le camion"),
    vanList(van),
  );
}

function vanList(van) {
  if (van.status !== "ok") return notice("info", "Le stock du camion n’a pas pu être lu : les pièces se saisissent quand même.");
  if (!van.lines || !van.lines.length) return el("p", { class: "empty" }, van.location_id ? "Le camion est vide." : "Aucun camion n’est associé à ce technicien.");
  return el("ul", { class: "items" }, van.lines.map((line) => el("li", {}, el("span", {}, line.article_name), el("span", { class: "qty" }, String(line.quantity)))));
}

// --- a visit --------------------------------------------------------------------------------------

function openVisit(view, interventionId) {
  view.visitId = interventionId;
  drawVisit(view).catch((error) => failed(view, error));
}

function closeVisit(view) {
  view.visitId = null;
  drawDay(view);
  window.scrollTo(0, 0);
}

async function drawVisit(view) {
  const visit = view.day.day.visits.find((v) => v.intervention.id === view.visitId);
  if (!visit) return closeVisit(view);
  const intervention = visit.intervention;
  const draft = (await get(DRAFTS, intervention.id)) || newDraft(intervention, visit);
  const saveDraft = debounce(() => put(DRAFTS, draft, intervention.id), 300);
  view.visitState = el("div", { class: "visit-state", "aria-live": "polite" });
  const customer = visit.file.customer;
  const done = intervention.status === "completed";
  fill(
    view.body,
    el("button", { type: "button", class: "quiet back", onclick: () => closeVisit(view) }, "← La journée"),
    el("h1", {}, customer ? customer.display_name : intervention.ticket_number),
    el("p", { class: "lead" }, `${time(intervention.starts_at)}–${time(intervention.ends_at)} · ${intervention.ticket_number}`),
    view.visitState,
    about(visit),
    done || draft.signed ? signedSummary(intervention, draft) : workForm(view, visit, draft, saveDraft),
    done ? null : proposal(view, visit),
  );
  window.scrollTo(0, 0);
  drawVisitState(view);
}

function newDraft(intervention, visit) {
  return {
    checked: intervention.checklist.map((item, index) => (item.done ? index : null)).filter((i) => i !== null),
    report: intervention.report || "",
    labour_minutes: intervention.labour_minutes || 0,
    travel_km: intervention.travel_km && Number(intervention.travel_km) ? String(intervention.travel_km) : "",
    parts: Object.fromEntries((intervention.parts || []).map((p) => [p.article_id, p.quantity])),
    photos: [],
    signer_name: visit.file.customer ? visit.file.customer.display_name : "",
    signed: false,
  };
}

/** Everything about the pool, readable in a few seconds. */
function about(visit) {
  const { site, pool, customer, analyses, contract } = visit.file;
  const ticket = visit.ticket;
  const rows = [];
  if (visit.file.status !== "ok") rows.push(notice("info", "La fiche du client n’a pas pu être téléchargée : seule l’intervention est sur le téléphone."));
  if (site) rows.push(el("p", {}, el("strong", {}, "Adresse : "), `${site.line1}, ${site.postcode} ${site.city}`), site.access_notes ? el("p", {}, el("strong", {}, "Accès : "), site.access_notes) : null);
  if (customer?.phones?.length) rows.push(el("p", {}, el("strong", {}, "Téléphone : "), customer.phones.map((p) => el("a", { href: `tel:${p.number}`, class: "tel" }, p.number))));
  if (ticket) rows.push(el("p", {}, el("strong", {}, "Panne : "), ticket.description), el("p", {}, el("span", { class: `badge ${ticket.covered_by === "none" ? "badge-orange" : "badge-green"}` }, COVERED[ticket.covered_by] || ticket.covered_by), " ", ticket.coverage_reason));
  if (pool) {
    rows.push(el("p", {}, el("strong", {}, "Piscine : "), `${pool.volume_m3} m³, ${pool.treatment}, filtration ${pool.filtration}`));
    const equipment = (pool.equipment || []).filter((e) => e.status === "in_service");
    if (equipment.length)
      rows.push(
        el(
          "ul",
          { class: "equipment" },
          equipment.map((e) =>
            el("li", {}, `${CATEGORY[e.category] || e.category} ${e.brand} ${e.model}`, e.serial_number ? ` — n° ${e.serial_number}` : "", ticket && ticket.equipment_id === e.id ? el("strong", {}, " (concerné)") : null),
          ),
        ),
      );
  }
  if (analyses?.length) {
    const last = analyses[0];
    rows.push(el("p", {}, el("strong", {}, "Dernière analyse : "), new Date(last.recorded_at).toLocaleDateString("fr-FR"), last.problems.length ? ` — à corriger : ${last.problems.join(", ")}` : " — eau équilibrée"));
  }
  if (contract) rows.push(el("p", {}, el("strong", {}, "Contrat : "), `${contract.formula} (jusqu’au ${new Date(contract.ends_on).toLocaleDateString("fr-FR")})`));
  return el("section", { class: "panel", "aria-label": "Le client et la piscine" }, rows);
}

function signedSummary(intervention, draft) {
  const who = draft.signed ? draft.signer_name : intervention.signer_name;
  return el("section", { class: "panel" }, el("h2", {}, "Bon d’intervention signé"), el("p", {}, `Signé par ${who || "le client"}.`), draft.report ? el("p", {}, draft.report) : null);
}

function workForm(view, visit, draft, saveDraft) {
  const intervention = visit.intervention;
  const changed = () => saveDraft();
  // The checklist.
  const checklist = el(
    "fieldset",
    { class: "panel checklist" },
    el("legend", {}, "Opérations"),
    intervention.checklist.length
      ? intervention.checklist.map((item, index) => {
          const box = el("input", { type: "checkbox", id: uid("op"), checked: draft.checked.includes(index) });
          box.addEventListener("change", () => {
            draft.checked = box.checked ? [...new Set([...draft.checked, index])].sort((a, b) => a - b) : draft.checked.filter((i) => i !== index);
            changed();
          });
          return el("div", { class: "check" }, box, el("label", { for: box.id }, item.label));
        })
      : el("p", { class: "muted" }, "Pas de liste d’opérations pour cette prestation."),
  );
  // The report: typed always, dictated where the browser can.
  const report = el("textarea", { id: uid("rapport"), rows: 5 });
  report.value = draft.report;
  report.addEventListener("input", () => {
    draft.report = report.value;
    changed();
  });
  const minutes = el("input", { id: uid("minutes"), type: "number", min: 0, max: 1440, inputmode: "numeric", value: draft.labour_minutes || "" });
  minutes.addEventListener("input", () => {
    draft.labour_minutes = Number(minutes.value) || 0;
    changed();
  });
  const km = el("input", { id: uid("km"), type: "text", inputmode: "decimal", value: draft.travel_km || "" });
  km.addEventListener("input", () => {
    draft.travel_km = km.value;
    changed();
  });
  const saved = el("div", { "aria-live": "polite" });
  const save = async () => {
    await put(DRAFTS, draft, intervention.id);
    await queueReport(visit, draft);
    fill(saved, notice("ok", navigator.onLine ? "Compte rendu enregistré." : "Compte rendu gardé sur le téléphone : il partira au retour du réseau."));
    outbox.flush();
  };
  return el(
    "div",
    {},
    checklist,
    el("section", { class: "panel" }, el("h2", {}, "Compte rendu"), field("Compte rendu", report, "Ce qui a été fait et constaté. Le bouton Dicter écrit ce que vous dites."), dictation(report, draft, changed), el("div", { class: "two" }, field("Temps passé (minutes)", minutes), field("Déplacement (km)", km))),
    partsFromVan(view, draft, changed),
    photos(visit, draft, changed),
    el("section", { class: "panel" }, el("button", { type: "button", class: "primary wide", onclick: save }, "Enregistrer le compte rendu"), saved),
    signing(view, visit, draft),
  );
}

function dictation(textarea, draft, changed) {
  const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  if (!Recognition) return el("p", { class: "hint" }, "La dictée n’est pas disponible dans ce navigateur : tapez le texte.");
  let listening = null;
  const message = el("p", { class: "hint", "aria-live": "polite" });
  const button = el("button", { type: "button", "aria-pressed": "false" }, "Dicter");
  button.addEventListener("click", () => {
    if (listening) {
      listening.stop();
      return;
    }
    listening = new Recognition();
    listening.lang = "fr-FR";
    listening.continuous = true;
    listening.interimResults = false;
    listening.onresult = (event) => {
      for (let i = event.resultIndex; i < event.results.length; i += 1) {
        if (!event.results[i].isFinal) continue;
        const words = event.results[i][0].transcript.trim();
        textarea.value = textarea.value ? `${textarea.value.trimEnd()} ${words}` : words;
        draft.report = textarea.value;
        changed();
      }
    };
    listening.onerror = (event) => {
      message.textContent = event.error === "network" ? "La dictée a besoin du réseau sur ce téléphone : tapez le texte." : "La dictée s’est arrêtée : tapez le texte ou réessayez.";
    };
    listening.onend = () => {
      listening = null;
      button.textContent = "Dicter";
      button.setAttribute("aria-pressed", "false");
    };
    listening.start();
    button.textContent = "Arrêter la dictée";
    button.setAttribute("aria-pressed", "true");
    message.textContent = "Parlez : le texte s’ajoute au compte rendu.";
  });
  return el("div", { class: "dictation" }, button, message);
}

function partsFromVan(view, draft, changed) {
  const { van } = view.day;
  const lines = van.lines || [];
  const known = new Map(lines.map((line) => [line.article_id, line]));
  const used = Object.keys(draft.parts).filter((id) => !known.has(id));
  return el(
    "fieldset",
    { class: "panel parts" },
    el("legend", {}, "Pièces du camion"),
    lines.length ? null : vanList(van),
    [...lines, ...used.map((id) => ({ article_id: id, article_name: "Pièce déjà notée", quantity: null }))].map((line) => {
      const input = el("input", { id: uid("piece"), type: "number", min: 0, max: line.quantity ?? 999, inputmode: "numeric", value: draft.parts[line.article_id] || 0 });
      input.addEventListener("input", () => {
        const quantity = Math.max(0, Number(input.value) || 0);
        if (quantity) draft.parts[line.article_id] = quantity;
        else delete draft.parts[line.article_id];
        changed();
      });
      const stock = line.quantity === null ? "" : ` — ${line.quantity} dans le camion`;
      return el("div", { class: "part" }, el("label", { for: input.id }, `${line.article_name}${stock}`), input);
    }),
  );
}

function photos(visit, draft, changed) {
  const list = el("ul", { class: "photos" });
  const redraw = () =>
    fill(
      list,
      draft.photos.map((photo) => el("li", {}, el("img", { src: photo.image, alt: photo.caption || "Photo de l’intervention" }), el("span", {}, photo.caption))),
    );
  const caption = el("input", { id: uid("legende"), type: "text", maxlength: 300 });
  const picker = el("input", { id: uid("photo"), type: "file", accept: "image/*", capture: "environment" });
  const message = el("div", { "aria-live": "polite" });
  picker.addEventListener("change", async () => {
    const file = picker.files[0];
    if (!file) return;
    try {
      const image = await shrink(file);
      const photo = { caption: caption.value.trim(), image };
      draft.photos.push(photo);
      changed();
      await outbox.enqueue({ kind: "photo", label: `Photo — ${visit.intervention.ticket_number}`, method: "POST", path: `${INTERVENTIONS}/${visit.intervention.id}/photos`, body: photo, intervention_id: visit.intervention.id });
      caption.value = "";
      picker.value = "";
      redraw();
      fill(message, notice("ok", "Photo ajoutée."));
      outbox.flush();
    } catch {
      fill(message, notice("error", "Cette image ne peut pas être lue : reprenez la photo."));
    }
  });
  redraw();
  return el("section", { class: "panel" }, el("h2", {}, "Photos"), field("Légende de la photo", caption), field("Prendre ou choisir une photo", picker), message, list);
}

/** The photo as a JPEG of at most PHOTO_MAX_PX on its long side (a phone's 12 MP is 4 MB). */
function shrink(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onerror = reject;
    reader.onload = () => {
      const image = new Image();
      image.onerror = reject;
      image.onload = () => {
        const scale = Math.min(1, PHOTO_MAX_PX / Math.max(image.width, image.height));
        const canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(image.width * scale));
        canvas.height = Math.max(1, Math.round(image.height * scale));
        canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
        resolve(canvas.toDataURL("image/jpeg", 0.75));
      };
      image.src = reader.result;
    };
    reader.readAsDataURL(file);
  });
}

function reportBody(draft) {
  const km = Number(String(draft.travel_km || "0").replace(",", "."));
  return {
    checked: draft.checked,
    report: draft.report,
    labour_minutes: Number(draft.labour_minutes) || 0,
    travel_km: Number.isFinite(km) ? km.toFixed(2) : "0.00",
    parts: Object.entries(draft.parts).map(([article_id, quantity]) => ({ article_id, quantity })),
    equipment_changes: [],
  };
}

function queueReport(visit, draft) {
  const intervention = visit.intervention;
  return outbox.enqueue({ kind: "report", label: `Compte rendu — ${intervention.ticket_number}`, method: "PUT", path: `${INTERVENTIONS}/${intervention.id}/report`, body: reportBody(draft), intervention_id: intervention.id, versioned: true });
}

function signing(view, visit, draft) {
  const intervention = visit.intervention;
  const name = el("input", { id: uid("signataire"), type: "text", autocomplete: "name", value: draft.signer_name });
  const pad = signaturePad("Signature du client");
  const message = el("div", { "aria-live": "assertive" });
  const sign = async () => {
    if (!name.value.trim()) return fill(message, notice("error", "Le nom de la personne qui signe est obligatoire."));
    if (pad.isEmpty()) return fill(message, notice("error", "Faites signer le client dans le cadre."));
    draft.signer_name = name.value.trim();
    draft.signed = true;
    await put(DRAFTS, draft, intervention.id);
    await queueReport(visit, draft); // the slip says what was done: the last report, then the signature
    await outbox.enqueue({ kind: "signature", label: `Signature — ${intervention.ticket_number}`, method: "POST", path: `${INTERVENTIONS}/${intervention.id}/signature`, body: { signer_name: draft.signer_name, image: pad.toDataURL() }, intervention_id: intervention.id });
    outbox.flush();
    await drawVisit(view);
  };
  return el(
    "section",
    { class: "panel" },
    el("h2", {}, "Signature du client"),
    el("p", { class: "hint" }, "Le client relit le compte rendu, puis signe du doigt dans le cadre."),
    field("Nom de la personne qui signe", name),
    pad.node,
    el("button", { type: "button", class: "primary wide", onclick: sign }, "Faire signer et terminer"),
    message,
  );
}

/** A new intervention or a quote, proposed from the garden: a ticket for the SAV desk. */
function proposal(view, visit) {
  const kind = el("select", { id: uid("proposition") }, el("option", { value: "intervention" }, "Une nouvelle intervention"), el("option", { value: "devis" }, "Un devis"));
  const equipment = (visit.file.pool?.equipment || []).filter((e) => e.status === "in_service");
  const on = el("select", { id: uid("sur") }, el("option", { value: "" }, "La piscine"), equipment.map((e) => el("option", { value: e.id }, `${CATEGORY[e.category] || e.category} ${e.brand} ${e.model}`)));
  const text = el("textarea", { id: uid("besoin"), rows: 3 });
  const message = el("div", { "aria-live": "polite" });
  const propose = async () => {
    const description = text.value.trim();
    if (!description) return fill(message, notice("error", "Décrivez ce qu’il faut faire."));
    const body = {
      channel: "technician",
      description: kind.value === "devis" ? `Devis à établir : ${description}` : description,
      ...(on.value ? { equipment_id: on.value } : { customer_id: visit.intervention.customer_id, pool_id: visit.file.pool?.id || visit.ticket?.pool_id || null }),
    };
    await outbox.enqueue({ kind: "proposal", label: `Proposition — ${visit.intervention.ticket_number}`, method: "POST", path: "/api/v1/sav/tickets", body, intervention_id: null });
    text.value = "";
    fill(message, notice("ok", navigator.onLine ? "Proposition envoyée au SAV." : "Proposition gardée : elle partira au retour du réseau."));
    outbox.flush();
  };
  return el(
    "details",
    { class: "panel proposal" },
    el("summary", {}, "Proposer une intervention ou un devis"),
    field("Je propose", kind),
    field("Pour", on),
    field("Ce qu’il faut faire", text),
    el("button", { type: "button", class: "wide", onclick: propose }, "Envoyer la proposition au bureau"),
    message,
  );
}

/** The visit's sending state and its conflicts, redrawn as the outbox moves. */
async function drawVisitState(view) {
  if (!view.visitState) return;
  const visit = view.day.day.visits.find((v) => v.intervention.id === view.visitId);
  if (!visit) return;
  const entries = (await outbox.entries()).filter((e) => e.intervention_id === view.visitId);
  const [label, badge] = visitState(visit, entries);
  const waiting = entries.filter((e) => e.status === outbox.PENDING).length;
  fill(
    view.visitState,
    el("p", {}, el("span", { class: `badge ${badge}`, "data-visit-state": label }, label), waiting ? ` ${waiting} envoi${waiting > 1 ? "s" : ""} en attente` : ""),
    entries.filter((e) => e.status === outbox.CONFLICT).map((entry) => conflict(view, visit, entry)),
  );
}

function conflict(view, visit, entry) {
  const office = entry.office;
  if (entry.kind !== "report") {
    return notice(
      "error",
      el("p", {}, `${entry.label} : le bureau a déjà changé cette intervention (${office?.status === "completed" ? "déjà signée" : "modifiée"}). Votre action est gardée sur le téléphone mais n’a pas été appliquée.`),
      el("button", { type: "button", onclick: () => outbox.takeOffice(entry) }, "Compris"),
    );
  }
  const keepOffice = async () => {
    const draft = (await get(DRAFTS, visit.intervention.id)) || newDraft(visit.intervention, visit);
    if (office) {
      draft.report = office.report;
      draft.checked = office.checklist.map((item, index) => (item.done ? index : null)).filter((i) => i !== null);
      draft.signed = false;
    }
    await put(DRAFTS, draft, visit.intervention.id);
    await outbox.takeOffice(entry);
    drawVisit(view);
  };
  return el(
    "div",
    { class: "notice notice-error conflict", role: "alert" },
    el("p", {}, el("strong", {}, "Conflit : "), "le bureau a modifié cette intervention pendant que vous travailliez. Votre compte rendu n’a pas écrasé le sien : choisissez."),
    el("p", {}, el("strong", {}, "Version du bureau : "), office ? office.report || "(vide)" : "à relire au retour du réseau"),
    el("p", {}, el("strong", {}, "Votre version : "), entry.body.report || "(vide)"),
    el("button", { type: "button", class: "primary", onclick: () => outbox.keepMine(entry) }, "Envoyer ma version"),
    el("button", { type: "button", onclick: keepOffice }, "Garder celle du bureau"),
  );
}

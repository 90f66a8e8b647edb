// Worksite planner: a project's Gantt (dependencies drawn, blocked steps hatched), a drag
// (or the keyboard) to re-plan a step with its consequences shown before anything is saved
// (the worksites service computes them: POST …/move-preview), the steps started and
// completed with photos, what must be done now (order the liner, payment requests); the
// crews' week; the season auto-plan as a proposal to accept.

import { api, ApiError, everyPage, newKey } from "../api.js";
import { el, field, fill, notice, uid } from "../dom.js";
import { cents, euros } from "../format.js";
import { day, dayNumber, isoDay, monday, resizedPhoto, shortDay, SKILLS, stepName, today, useFieldStyles } from "../field.js";

const API = "/api/v1/worksites";
const DAY = 14; // px per day in the Gantt
const ROW = 34;
const LABEL = 200;

export default {
  render(main, { can, navigate }) {
    useFieldStyles();
    const params = new URLSearchParams(location.search);
    const view = ["semaine", "saison"].includes(params.get("vue")) ? params.get("vue") : "gantt";
    const tabs = [
      { id: "gantt", label: "Chantiers", href: "/chantiers" },
      { id: "semaine", label: "Semaine des équipes", href: "/chantiers?vue=semaine" },
      ...(can("plan_worksites") ? [{ id: "saison", label: "Plan de saison", href: "/chantiers?vue=saison" }] : []),
    ];
    const body = el("div", {});
    fill(
      main,
      el("h1", {}, "Planning des chantiers"),
      el("nav", { class: "tabs", "aria-label": "Vues du planning" }, tabs.map((t) => el("a", { href: t.href, "data-link": true, "aria-current": t.id === view ? "page" : null }, t.label))),
      body,
    );
    if (view === "semaine") crewWeek(body, params);
    else if (view === "saison") season(body);
    else projects(body, params, can, navigate);
  },
};

async function loadCrews() {
  const { items } = await everyPage(`${API}/crews`);
  return new Map(items.map((c) => [c.id, c]));
}

function failure(container, what, error) {
  if (!(error instanceof ApiError)) throw error;
  fill(container, notice("error", `${what} `, error.french));
}

// --- a project: the Gantt, the steps, what to do now -------------------------------------------

async function projects(body, params, can, navigate) {
  fill(body, el("p", { class: "loading" }, "Chargement des chantiers…"));
  let list, crews;
  try {
    [list, crews] = await Promise.all([everyPage(`${API}/projects`), loadCrews()]);
  } catch (error) {
    return failure(body, "Les chantiers n’ont pas pu être lus.", error);
  }
  if (!list.items.length) {
    return fill(body, el("p", { class: "empty" }, "Aucun chantier pour l’instant : un devis de construction accepté en crée un."));
  }
  const chosen = list.items.find((p) => p.id === params.get("chantier")) || list.items[0];
  const picker = el(
    "select",
    { id: "choix-chantier" },
    list.items.map((p) => el("option", { value: p.id, selected: p.id === chosen.id }, projectLabel(p))),
  );
  picker.addEventListener("change", () => navigate(`/chantiers?chantier=${picker.value}`, { replace: true }));
  const place = el("div", {});
  fill(body, el("div", { class: "field project-picker" }, el("label", { for: picker.id }, "Chantier"), picker), place);
  try {
    const project = await api("GET", `${API}/projects/${chosen.id}`);
    const view = new ProjectView(place, project, crews, can);
    view.changed = (p) => (picker.selectedOptions[0].textContent = projectLabel(p)); // its filling date
    view.show();
  } catch (error) {
    failure(place, "Ce chantier n’a pas pu être lu.", error);
  }
}

const projectLabel = (p) => `${p.customer_name || "Client"} — ${p.pool_type_code}${p.filling_date ? ` — mise en eau ${day(p.filling_date)}` : " — à planifier"}`;

class ProjectView {
  constructor(place, project, crews, can) {
    Object.assign(this, { place, project, crews, can, preview: null, message: null });
    this.planner = can("plan_worksites");
    this.runner = can("run_worksite_steps");
  }

  show() {
    const p = this.project;
    this.changed?.(p);
    const late = p.filling_date && p.promised_filling_date && p.filling_date > p.promised_filling_date;
    this.previewArea = el("section", { class: "preview", "aria-live": "polite", "aria-label": "Aperçu du déplacement" });
    fill(
      this.place,
      el(
        "dl",
        { class: "figures project-figures" },
        el("div", {}, el("dt", {}, "Mise en eau prévue"), el("dd", { "data-figure": "filling" }, day(p.filling_date))),
        el("div", {}, el("dt", {}, "Promise au client"), el("dd", { class: late ? "late" : null }, day(p.promised_filling_date))),
        el("div", {}, el("dt", {}, "Montant TTC"), el("dd", {}, euros(cents(p.total_incl_vat)))),
      ),
      late ? notice("error", `La mise en eau prévue dépasse la date promise au client (${day(p.promised_filling_date)}).`) : null,
      this.message,
      this.todo(),
      p.start_on ? null : this.planForm(),
      p.start_on ? this.gantt(this.preview ? this.preview.project.tasks : p.tasks) : null,
      p.start_on && this.planner ? el("p", { class: "hint gantt-help" }, "Faites glisser une étape, ou placez-vous dessus et utilisez les flèches ← → puis Entrée : les conséquences s’affichent avant tout enregistrement.") : null,
      this.previewArea,
      this.steps(),
    );
    if (this.preview) this.showPreview();
  }

  crewName(id) {
    return id ? this.crews.get(id)?.name || "Équipe" : "—";
  }

  // What must be done now: the orders a started step raises, the payment requests due.
  todo() {
    const p = this.project;
    const byCode = new Map(p.tasks.map((t) => [t.step_code, t]));
    const items = [];
    for (const task of p.tasks) {
      const trigger = task.order_trigger;
      const target = trigger && byCode.get(trigger.for_step);
      if (!target || target.status !== "pending") continue;
      const due = target.planned_start ? isoDay(Math.max(dayNumber(today()), dayNumber(target.planned_start) - trigger.lead_days)) : today();
      const what = target.materials.map((m) => m.description).join(", ") || stepName(target);
      if (task.status !== "pending") {
        items.push(el("li", { class: "todo-order" }, el("strong", {}, `Commander maintenant : ${what}`), ` — pour l’étape « ${stepName(target)} », à commander au plus tard le ${day(due)} (délai fournisseur ${trigger.lead_days} jours). `, el("a", { href: "/stock?vue=panier", "data-link": true }, "Panier fournisseur")));
      } else if (task.planned_start) {
        items.push(el("li", {}, `Au démarrage de « ${stepName(task)} » (${day(task.planned_start)}) : commander ${what} (délai ${trigger.lead_days} jours).`));
      }
    }
    for (const line of p.payment_schedule) {
      const step = byCode.get(line.step_code);
      const label = line.step_code === "order" ? "à la commande" : `à la fin de « ${step ? stepName(step) : line.step_code} »`;
      if (line.called) {
        items.push(el("li", { class: "todo-payment" }, el("strong", {}, `Appel de fonds ${label} : ${euros(cents(line.amount_incl_vat))}`), ` (${line.percent.replace(".00", "")} %) — émis par la facturation, à suivre jusqu’au paiement.`));
      }
    }
    if (!items.length) return null;
    return el("section", { class: "panel todo", "aria-labelledby": "a-faire" }, el("h2", { id: "a-faire" }, "À faire maintenant"), el("ul", {}, items));
  }

  planForm() {
    if (!this.planner) return el("p", { class: "empty" }, "Ce chantier n’est pas encore planifié.");
    const start = el("input", { type: "date", id: "debut-chantier", required: true, value: today() });
    const form = el("form", { class: "panel inline-form" }, el("h2", {}, "Planifier ce chantier"), field("Date de début", start), el("button", { type: "submit", class: "primary" }, "Planifier le chantier"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const answer = await api("POST", `${API}/projects/${this.project.id}/plan`, { body: { start_on: start.value }, idempotencyKey: newKey() });
        this.project = answer.project;
        this.message = notice("ok", `Chantier planifié : mise en eau le ${day(answer.filling_date)}.`);
        this.show();
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        form.append(notice("error", error.problem.detail || error.french));
      }
    });
    return form;
  }

  // --- the Gantt ---
  gantt(tasks) {
    const planned = tasks.filter((t) => t.planned_start);
    if (!planned.length) return null;
    const first = Math.min(...planned.map((t) => dayNumber(t.planned_start))) - 2;
    const last = Math.max(...planned.map((t) => dayNumber(t.planned_end))) + 10;
    const width = LABEL + (last - first + 1) * DAY;
    const height = 28 + tasks.length * ROW;
    const svg = svgEl("svg", { class: "gantt", width, height, viewBox: `0 0 ${width} ${height}`, role: "group", "aria-label": "Diagramme de Gantt du chantier", "data-day-width": DAY });
    const defs = svgEl("defs", {});
    const hatch = svgEl("pattern", { id: "hachures", width: 8, height: 8, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
    hatch.append(svgEl("rect", { width: 8, height: 8, class: "hatch-bg" }), svgEl("line", { x1: 0, y1: 0, x2: 0, y2: 8, class: "hatch-line" }));
    const arrow = svgEl("marker", { id: "fleche", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto" });
    arrow.append(svgEl("path", { d: "M0,0 L10,5 L0,10 z", class: "dep-head" }));
    defs.append(hatch, arrow);
    svg.append(defs);
    const x = (iso) => LABEL + (dayNumber(iso) - first) * DAY;
    // Weekends shaded, weeks labelled (Monday).
    for (let n = first; n <= last; n += 1) {
      const weekday = (new Date(n * 86_400_000).getUTCDay() + 6) % 7;
      if (weekday >= 5) svg.append(svgEl("rect", { x: LABEL + (n - first) * DAY, y: 24, width: DAY, height: height - 24, class: "weekend" }));
      if (weekday === 0) {
        svg.append(svgEl("line", { x1: LABEL + (n - first) * DAY, y1: 18, x2: LABEL + (n - first) * DAY, y2: height, class: "week-line" }));
        svg.append(svgText(day(isoDay(n)).slice(0, 5), { x: LABEL + (n - first) * DAY + 3, y: 15, class: "week-label" }));
      }
    }
    const rows = new Map(tasks.map((t, i) => [t.step_code, { task: t, y: 28 + i * ROW }]));
    const old = new Map(this.project.tasks.map((t) => [t.id, t]));
    const moved = new Set((this.preview?.moved || []).map((m) => m.task_id));
    // Dependencies: from the end of what a step waits for to its start.
    for (const { task, y } of rows.values()) {
      if (!task.planned_start) continue;
      for (const dependency of task.depends_on) {
        const before = rows.get(dependency.step_code);
        if (!before?.task.planned_end) continue;
        const x1 = x(before.task.planned_end) + DAY;
        const y1 = before.y + ROW / 2 - 2;
        const x2 = x(task.planned_start);
        const y2 = y + ROW / 2 - 2;
        svg.append(svgEl("path", { d: `M${x1},${y1} H${Math.max(x1 + 4, x2 - 6)} V${y2} H${x2}`, class: "dep", "marker-end": "url(#fleche)" }));
      }
    }
    for (const { task, y } of rows.values()) {
      svg.append(svgText(stepName(task), { x: 6, y: y + ROW / 2 + 2, class: "row-label" }));
      if (!task.planned_start) continue;
      const was = old.get(task.id);
      if (this.preview && was?.planned_start && moved.has(task.id)) {
        svg.append(svgEl("rect", { x: x(was.planned_start), y: y + 4, width: (dayNumber(was.planned_end) - dayNumber(was.planned_start) + 1) * DAY, height: ROW - 12, rx: 4, class: "bar-before" }));
      }
      svg.append(this.bar(task, x, y, moved.has(task.id)));
    }
    const wrap = el("div", { class: "gantt-wrap" });
    wrap.append(svg);
    // A preview: the first step that moves brought into view (a long project scrolls sideways).
    const firstMoved = this.preview?.moved[0] && tasks.find((t) => t.id === this.preview.moved[0].task_id);
    if (firstMoved?.planned_end) {
      requestAnimationFrame(() => {
        if (x(firstMoved.planned_end) + 2 * DAY > wrap.clientWidth) wrap.scrollLeft = Math.max(0, x(firstMoved.planned_start) - LABEL - 8 * DAY);
      });
    }
    return wrap;
  }

  bar(task, x, y, moved) {
    const movable = this.planner && task.status === "pending" && !this.preview;
    const blocked = Boolean(task.blocked_reason);
    const span = dayNumber(task.planned_end) - dayNumber(task.planned_start) + 1;
    const states = { pending: "prévue", in_progress: "en cours", done: "terminée" };
    const label = `${stepName(task)} : ${states[task.status]}, du ${day(task.planned_start)} au ${day(task.planned_end)}, équipe ${this.crewName(task.crew_id)}${blocked ? `, bloquée : ${task.blocked_reason}` : ""}`;
    const group = svgEl("g", {
      class: `bar bar-${task.status}${blocked ? " bar-blocked" : ""}${moved ? " bar-moved" : ""}${movable ? " movable" : ""}`,
      "data-step": task.step_code,
      ...(movable ? { tabindex: 0, role: "button", "aria-label": `${label}. Flèches pour déplacer, Entrée pour voir les conséquences.` } : { role: "img", "aria-label": label }),
    });
    const rect = svgEl("rect", { x: x(task.planned_start), y: y + 4, width: span * DAY, height: ROW - 12, rx: 4 });
    group.append(rect);
    if (blocked) group.append(svgEl("rect", { x: x(task.planned_start), y: y + 4, width: span * DAY, height: ROW - 12, rx: 4, fill: "url(#hachures)", class: "hatched" }));
    const title = svgEl("title", {});
    title.textContent = label;
    group.append(title);
    if (movable) this.draggable(group, task);
    return group;
  }

  draggable(group, task) {
    let shift = 0;
    let origin = null;
    const moveBy = (days) => {
      shift = days;
      group.setAttribute("transform", `translate(${shift * DAY},0)`);
      group.classList.toggle("dragging", shift !== 0);
    };
    const propose = () => {
      if (shift === 0) return;
      const start = isoDay(dayNumber(task.planned_start) + shift);
      moveBy(0);
      this.previewMove(task, start, task.crew_id && task.pinned_start ? task.crew_id : null);
    };
    group.addEventListener("pointerdown", (event) => {
      origin = event.clientX;
      group.setPointerCapture(event.pointerId);
      event.preventDefault();
    });
    group.addEventListener("pointermove", (event) => {
      if (origin !== null) moveBy(Math.round((event.clientX - origin) / DAY));
    });
    group.addEventListener("pointerup", () => {
      if (origin === null) return;
      origin = null;
      propose();
    });
    group.addEventListener("pointercancel", () => {
      origin = null;
      moveBy(0);
    });
    group.addEventListener("keydown", (event) => {
      if (event.key === "ArrowRight") moveBy(shift + 1);
      else if (event.key === "ArrowLeft") moveBy(shift - 1);
      else if (event.key === "Enter" || event.key === " ") propose();
      else if (event.key === "Escape") moveBy(0);
      else return;
      event.preventDefault();
    });
  }

  // --- the preview: what would move, before anything is saved ---
  async previewMove(task, start, crewId) {
    const body = { start_on: start, crew_id: crewId || null };
    try {
      const answer = await api("POST", `${API}/projects/${this.project.id}/tasks/${task.id}/move-preview`, { body });
      this.preview = { ...answer, task, body };
      this.message = null;
      this.show();
      this.previewArea.querySelector("h2")?.focus();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      fill(this.previewArea, notice("error", "L’aperçu n’a pas pu être calculé. ", error.problem.detail || error.french));
    }
  }

  showPreview() {
    const { task, body, possible, refusals, moved, crew_changes: crewChanges } = this.preview;
    const names = new Map(this.project.tasks.map((t) => [t.id, t]));
    const promised = this.project.promised_filling_date;
    const cancel = el("button", { type: "button", onclick: () => this.cancelPreview() }, "Annuler");
    const content = [el("h2", { tabindex: "-1" }, `Déplacer « ${stepName(task)} » au ${day(body.start_on)} ?`)];
    if (possible) {
      const later = this.preview.filling_date !== this.preview.old_filling_date;
      content.push(
        el("p", { class: "filling-change" }, "Mise en eau : ", el("strong", { "data-figure": "ancienne-mise-en-eau" }, day(this.preview.old_filling_date)), " → ", el("strong", { "data-figure": "nouvelle-mise-en-eau", class: later ? "changed" : null }, day(this.preview.filling_date)), later ? "" : " (inchangée)"),
        promised && this.preview.filling_date > promised ? notice("error", `Après la date promise au client (${day(promised)}).`) : null,
        el("h3", {}, `${moved.length} étape${moved.length > 1 ? "s" : ""} déplacée${moved.length > 1 ? "s" : ""}`),
        el("ul", { class: "moved-list" }, moved.map((m) => el("li", {}, `${stepName(names.get(m.task_id) || m)} : ${day(m.old_start)} → ${day(m.new_start)}`))),
        crewChanges.length
          ? [el("h3", {}, "Changements d’équipe"), el("ul", {}, crewChanges.map((c) => el("li", {}, `${stepName(names.get(c.task_id) || c)} : ${this.crewName(c.old_crew_id)} → ${this.crewName(c.new_crew_id)}`)))]
          : el("p", {}, "Aucun conflit d’équipe : chaque étape garde une équipe libre."),
        el("div", { class: "actions" }, el("button", { type: "button", class: "primary", onclick: () => this.confirmMove() }, "Confirmer le déplacement"), cancel),
      );
    } else {
      content.push(
        notice("error", el("strong", {}, "Ce déplacement n’est pas possible. "), refusals.map((r) => this.refusalText(r)).join(" ")),
        el(
          "div",
          { class: "actions" },
          refusals.filter((r) => r.kind === "too_early" && r.earliest).map((r) => el("button", { type: "button", class: "primary", onclick: () => this.previewMove(task, r.earliest, body.crew_id) }, `Essayer le ${day(r.earliest)}`)),
          cancel,
        ),
      );
    }
    fill(this.previewArea, el("div", { class: `panel ${possible ? "preview-ok" : "preview-refused"}` }, content));
  }

  refusalText(r) {
    const step = r.step_code ? `« ${stepName(r)} »` : "L’étape";
    switch (r.kind) {
      case "too_early":
        return `${step} ne peut pas commencer le ${day(r.day)} : les étapes dont elle dépend (ou son blocage) la permettent au plus tôt le ${day(r.earliest)}.`;
      case "crew_busy":
        return `L’équipe ${r.crew_name} est déjà sur un autre chantier le ${day(r.day)} (conflit d’équipe pour ${step}).`;
      case "crew_unavailable":
        return `L’équipe ${r.crew_name} est indisponible le ${day(r.day)} (congés ou absence).`;
      case "no_crew_free":
        return `Aucune équipe ayant la compétence de ${step} n’est libre à cette date.`;
      case "skill_missing":
        return `L’équipe ${r.crew_name} n’a pas la compétence de ${step}.`;
      default:
        return r.detail; // a refusal this screen does not know yet: the service's words
    }
  }

  cancelPreview() {
    this.preview = null;
    this.message = notice("info", "Déplacement annulé : rien n’a été modifié.");
    this.show();
  }

  async confirmMove() {
    const { task, body } = this.preview;
    try {
      const answer = await api("POST", `${API}/projects/${this.project.id}/tasks/${task.id}/move`, { body, idempotencyKey: newKey() });
      this.project = answer.project;
      this.preview = null;
      this.message = notice("ok", `« ${stepName(task)} » déplacée. Mise en eau le ${day(answer.filling_date)}.`);
      this.show();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      // Someone planned meanwhile: show what is true now.
      this.preview = null;
      this.message = notice("error", "Le déplacement a été refusé : ", error.problem.detail || error.french);
      this.project = await api("GET", `${API}/projects/${this.project.id}`);
      this.show();
    }
  }

  // --- the steps as a list: the keyboard's way, the phone's, start and complete, photos ---
  steps() {
    const p = this.project;
    const byCode = new Map(p.tasks.map((t) => [t.step_code, t]));
    const percent = new Map(p.payment_schedule.map((l) => [l.step_code, l]));
    const items = p.tasks.map((task) => {
      const ready = task.status === "pending" && task.depends_on.every((d) => byCode.get(d.step_code)?.status === "done");
      const status = { pending: ["badge-grey", "Prévue"], in_progress: ["badge-orange", "En cours"], done: ["badge-green", "Terminée"] }[task.status];
      const milestone = percent.get(task.step_code);
      const extra = el("div", { class: "step-extra" });
      const item = el(
        "li",
        { class: "step", "data-step": task.step_code },
        el(
          "div",
          { class: "step-head" },
          el("h3", {}, stepName(task)),
          el("span", { class: `badge ${status[0]}` }, status[1]),
          task.blocked_reason ? el("span", { class: "badge badge-red" }, "Bloquée") : null,
        ),
        el(
          "p",
          { class: "step-facts" },
          task.planned_start ? `Du ${day(task.planned_start)} au ${day(task.planned_end)}` : "Non planifiée",
          ` · ${task.duration_days} j · équipe ${this.crewName(task.crew_id)}`,
          task.skill ? ` (${SKILLS[task.skill] || task.skill})` : "",
        ),
        task.blocked_reason ? el("p", { class: "blocked-reason" }, `Bloquée${task.blocked_until ? ` jusqu’au ${day(task.blocked_until)}` : ""} : ${task.blocked_reason}`) : null,
        milestone ? el("p", { class: "milestone" }, `Appel de fonds à la fin de l’étape : ${milestone.percent.replace(".00", "")} % — ${euros(cents(milestone.amount_incl_vat))}${milestone.called ? " (appelé)" : ""}`) : null,
        task.order_trigger ? el("p", { class: "milestone" }, `Son démarrage déclenche la commande pour « ${stepName(byCode.get(task.order_trigger.for_step) || { step_code: task.order_trigger.for_step })} » (délai ${task.order_trigger.lead_days} jours).`) : null,
        el(
          "div",
          { class: "actions" },
          this.planner && task.status === "pending" && p.start_on ? el("button", { type: "button", "aria-expanded": "false", onclick: (e) => this.moveForm(task, extra, e.currentTarget) }, `Déplacer : ${stepName(task)}`) : null,
          this.runner && ready && task.planned_start ? el("button", { type: "button", onclick: () => this.run(task, "start") }, `Démarrer : ${stepName(task)}`) : null,
          this.runner && task.status === "in_progress" && task.step_code !== "filling" ? el("button", { type: "button", class: "primary", onclick: () => this.run(task, "complete") }, `Terminer : ${stepName(task)}`) : null,
          this.runner && task.status !== "pending" ? this.photoButton(task) : null,
        ),
        extra,
      );
      return item;
    });
    return el("section", { "aria-labelledby": "etapes" }, el("h2", { id: "etapes" }, "Étapes"), el("ol", { class: "steps" }, items));
  }

  moveForm(task, place, button) {
    if (place.firstChild) {
      place.replaceChildren();
      button.setAttribute("aria-expanded", "false");
      return;
    }
    button.setAttribute("aria-expanded", "true");
    const start = el("input", { type: "date", id: uid("debut"), value: task.planned_start, required: true });
    const crew = el(
      "select",
      { id: uid("equipe") },
      el("option", { value: "" }, "Au choix du planificateur"),
      [...this.crews.values()].filter((c) => !task.skill || c.skills.includes(task.skill)).map((c) => el("option", { value: c.id, selected: task.pinned_start && c.id === task.crew_id }, c.name)),
    );
    const form = el("form", { class: "inline-form" }, field("Nouvelle date de début", start), task.skill ? field("Équipe", crew) : null, el("button", { type: "submit", class: "primary" }, "Voir les conséquences"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.previewMove(task, start.value, crew.value || null);
    });
    fill(place, form);
    start.focus();
  }

  async run(task, action) {
    try {
      await api("POST", `${API}/projects/${this.project.id}/tasks/${task.id}/${action}`, { idempotencyKey: newKey() });
      this.project = await api("GET", `${API}/projects/${this.project.id}`);
      this.message = notice("ok", `« ${stepName(task)} » ${action === "start" ? "démarrée" : "terminée"}.`);
      this.show();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      this.message = notice("error", `« ${stepName(task)} » : `, error.problem.detail || error.french);
      this.show();
    }
  }

  photoButton(task) {
    const input = el("input", { type: "file", accept: "image/*", capture: "environment", hidden: true, id: uid("photo") });
    const status = el("span", { class: "photo-status", role: "status" });
    input.addEventListener("change", async () => {
      const file = input.files[0];
      if (!file) return;
      status.textContent = "Envoi de la photo…";
      let photo;
      try {
        photo = await resizedPhoto(file);
      } catch {
        status.textContent = "Cette image n’a pas pu être lue : prenez une autre photo.";
        return;
      }
      try {
        await api("POST", `${API}/projects/${this.project.id}/tasks/${task.id}/photos`, { body: { ...photo, caption: file.name.slice(0, 200) }, idempotencyKey: newKey() });
        status.textContent = "Photo ajoutée.";
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        status.textContent = `Photo refusée : ${error.problem.detail || error.french}`;
      }
    });
    return el("span", { class: "photo" }, el("button", { type: "button", onclick: () => input.click() }, `Ajouter une photo : ${stepName(task)}`), input, status);
  }
}

// --- the crews' week ----------------------------------------------------------------------------

async function crewWeek(body, params) {
  const first = monday(params.get("semaine") || today());
  const days = [0, 1, 2, 3, 4].map((i) => isoDay(dayNumber(first) + i));
  const week = (offset) => `/chantiers?vue=semaine&semaine=${isoDay(dayNumber(first) + offset)}`;
  const table = el("div", { class: "table-wrap" }, el("p", { class: "loading" }, "Chargement des équipes…"));
  fill(
    body,
    el(
      "div",
      { class: "week-nav" },
      el("a", { class: "button", href: week(-7), "data-link": true }, "← Semaine précédente"),
      el("h2", {}, `Semaine du ${day(first)}`),
      el("a", { class: "button", href: week(7), "data-link": true }, "Semaine suivante →"),
    ),
    table,
  );
  try {
    const crews = [...(await loadCrews()).values()];
    if (!crews.length) return fill(table, el("p", { class: "empty" }, "Aucune équipe : ajoutez vos équipes et sous-traitants pour planifier."));
    const agendas = await Promise.all(crews.map((c) => api("GET", `${API}/crews/${c.id}/agenda`, { query: { first_day: days[0], last_day: days[4] } })));
    fill(
      table,
      el(
        "table",
        { class: "crew-week" },
        el("caption", { class: "visually-hidden" }, `Étapes de chaque équipe, semaine du ${day(first)}`),
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Équipe"), days.map((d) => el("th", { scope: "col" }, shortDay(d))))),
        el(
          "tbody",
          {},
          agendas.map((agenda) =>
            el(
              "tr",
              {},
              el("th", { scope: "row" }, agenda.crew.name, el("small", { class: "skills" }, agenda.crew.skills.map((s) => SKILLS[s] || s).join(", "))),
              days.map((d) => {
                const entries = agenda.entries.filter((e) => e.start <= d && d <= e.end);
                const away = agenda.crew.unavailable?.some((u) => u.first_day <= d && d <= u.last_day);
                return el(
                  "td",
                  { class: away ? "away" : null },
                  away ? el("span", { class: "badge badge-grey" }, "Indisponible") : null,
                  entries.map((e) => el("a", { class: "week-entry", href: `/chantiers?chantier=${e.project_id}`, "data-link": true }, el("strong", {}, stepName(e)), el("span", {}, `${e.customer_name || ""}${e.city ? ` — ${e.city}` : ""}`))),
                );
              }),
            ),
          ),
        ),
      ),
    );
  } catch (error) {
    failure(table, "Les agendas des équipes n’ont pas pu être lus.", error);
  }
}

// --- the season auto-plan: a proposal, applied only when accepted -----------------------------

function season(body) {
  const start = el("input", { type: "date", id: "debut-saison", required: true, value: today() });
  const result = el("div", { "aria-live": "polite" });
  const form = el(
    "form",
    { class: "panel inline-form" },
    el("h2", {}, "Proposer un plan de saison"),
    el("p", { class: "hint" }, "Tous les chantiers ouverts sont planifiés ensemble, au plus près des dates promises. Rien ne change tant que vous n’acceptez pas la proposition."),
    field("Premier jour de la saison", start),
    el("button", { type: "submit", class: "primary" }, "Calculer une proposition"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    fill(result, el("p", { class: "loading" }, "Calcul du plan de saison (jusqu’à 10 secondes)…"));
    try {
      const [proposal, list] = await Promise.all([
        api("POST", `${API}/season-plans`, { body: { start_on: start.value, time_limit_seconds: 5 }, idempotencyKey: newKey() }),
        everyPage(`${API}/projects`),
      ]);
      showProposal(result, proposal, new Map(list.items.map((p) => [p.id, p])));
    } catch (error) {
      failure(result, "Le plan de saison n’a pas pu être calculé.", error);
    }
  });
  fill(body, form, result);
}

function showProposal(result, proposal, projects) {
  const accept = el("button", { type: "button", class: "primary" }, "Accepter ce plan");
  const dismiss = el("button", { type: "button" }, "Écarter la proposition");
  accept.addEventListener("click", async () => {
    try {
      await api("POST", `/api/v1/worksites/season-plans/${proposal.id}/accept`, { idempotencyKey: newKey() });
      fill(result, notice("ok", `Plan de saison accepté : ${proposal.projects.length} chantier(s) replanifié(s).`));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      result.append(notice("error", "Le plan n’a pas pu être accepté (un chantier a changé entre-temps ?) : proposez-en un nouveau. ", error.problem.detail || error.french));
    }
  });
  dismiss.addEventListener("click", () => fill(result, notice("info", "Proposition écartée : rien n’a changé.")));
  fill(
    result,
    el(
      "section",
      { class: "panel", "aria-labelledby": "proposition" },
      el("h2", { id: "proposition" }, "Proposition de plan de saison"),
      el("p", {}, `Retard total : ${proposal.total_lateness_days} jour(s) ouvré(s) après les dates promises.`),
      el(
        "div",
        { class: "table-wrap" },
        el(
          "table",
          {},
          el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Chantier"), el("th", { scope: "col" }, "Promise"), el("th", { scope: "col" }, "Mise en eau proposée"), el("th", { scope: "col" }, "Retard"))),
          el(
            "tbody",
            {},
            proposal.projects.map((line) => {
              const project = projects.get(line.project_id);
              return el(
                "tr",
                { class: line.lateness_days > 0 ? "low" : null },
                el("th", { scope: "row" }, project ? `${project.customer_name || "Client"} — ${project.pool_type_code}` : line.project_id),
                el("td", {}, day(line.promised_filling_date)),
                el("td", {}, day(line.filling_date)),
                el("td", { class: "num" }, line.lateness_days ? `${line.lateness_days} j` : "à l’heure"),
              );
            }),
          ),
        ),
      ),
      el("div", { class: "actions" }, accept, dismiss),
    ),
  );
}

// --- SVG ---------------------------------------------------------------------------------------

function svgEl(tag, attributes) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

function svgText(text, attributes) {
  const node = svgEl("text", attributes);
  node.textContent = text;
  return node;
}

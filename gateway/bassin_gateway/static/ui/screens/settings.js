// The manager's settings (issue 27), one tab each: users and roles, alert rules and their
// message templates, pool types and their construction templates, standard services,
// question trees, water-analysis targets, the company's legal details for documents.
// Each tab is built on its owning service's routes; updates send the ETag they were read
// with (If-Match), so a change made meanwhile by someone else is never overwritten.

import { api, ApiError, everyPage, frenchMessages, newKey } from "../api.js";
import { el, field, fieldError, fill, notice } from "../dom.js";
import { date, number } from "../format.js";
import { badge, CATEGORIES, label, PARAMETERS, ROLES, section, table } from "./outside.js";

const TABS = [
  { id: "utilisateurs", label: "Utilisateurs", requires: "manage_users", show: users },
  { id: "alertes", label: "Alertes et messages", requires: "manage_alert_rules", show: alerts },
  { id: "bassins", label: "Types de bassin", requires: "plan_worksites", show: poolTypes },
  { id: "prestations", label: "Prestations", requires: "manage_service_tickets", show: services },
  { id: "questions", label: "Questions SAV", requires: "manage_service_tickets", show: questionTrees },
  { id: "eau", label: "Cibles d’analyse", requires: "manage_customers", show: waterTargets },
  { id: "societe", label: "Société", requires: "manage_invoices", show: company },
];
const STAFF = ["manager", "office", "sales", "technician", "cashier"];
const STATUS = { invited: ["orange", "Invité"], active: ["green", "Actif"], deactivated: ["grey", "Désactivé"] };
const TRIGGERS_FR = { channel: { in_app: "Dans Bassin", email: "E-mail", sms: "SMS" } };

export default {
  render(main, { can }) {
    const tabs = TABS.filter((t) => can(t.requires));
    const wanted = new URLSearchParams(location.search).get("vue");
    const current = tabs.find((t) => t.id === wanted) || tabs[0];
    const body = el("div", {});
    fill(
      main,
      el("h1", {}, "Paramètres"),
      el("nav", { class: "tabs", "aria-label": "Rubriques des paramètres" }, tabs.map((t) => el("a", { href: `/parametres?vue=${t.id}`, "data-link": true, "aria-current": t === current ? "page" : null }, t.label))),
      body,
    );
    current.show(body, can);
  },
};

/** Errors of a 422 next to their fields (``inputs``: {api field: input}); the rest above. */
function showErrors(error, inputs, messages) {
  for (const [name, text] of Object.entries(error.errors)) {
    if (inputs[name]) fieldError(inputs[name], frenchMessages(text));
  }
  messages.append(notice("error", error.french));
}

function clear(inputs, messages) {
  for (const input of Object.values(inputs)) fieldError(input, null);
  messages.replaceChildren();
}

// --- users and roles -----------------------------------------------------------------------------

function users(body) {
  const list = el("div", {});
  fill(body, section("invitation", "Inviter un utilisateur", invite(list), "Il reçoit un e-mail avec un lien pour choisir son mot de passe (valable 72 heures)."), el("div", { class: "block" }, list));
  loadUsers(list);
}

function roleChecks(prefix, chosen = []) {
  return el(
    "fieldset",
    { class: "roles" },
    el("legend", {}, "Rôles"),
    STAFF.map((role) => el("label", { class: "check" }, el("input", { type: "checkbox", name: `${prefix}-role`, value: role, checked: chosen.includes(role) }), ROLES[role])),
  );
}

function checkedRoles(fieldset) {
  return [...fieldset.querySelectorAll("input:checked")].map((i) => i.value);
}

function invite(list) {
  return (box) => {
    const email = el("input", { id: "invite-email", type: "email", autocomplete: "off", spellcheck: "false" });
    const name = el("input", { id: "invite-nom", type: "text", autocomplete: "off" });
    const roles = roleChecks("invite", ["technician"]);
    const messages = el("div", { class: "messages" });
    const send = el("button", { type: "submit", class: "primary" }, "Envoyer l’invitation");
    fill(box, el("form", { novalidate: true, onsubmit: submit }, el("div", { class: "pair" }, field("Adresse e-mail", email), field("Nom complet", name)), roles, messages, send));

    async function submit(event) {
      event.preventDefault();
      const inputs = { email, full_name: name };
      clear(inputs, messages);
      if (!email.value.trim()) return fieldError(email, "Saisissez l’adresse e-mail.") || email.focus();
      if (!name.value.trim()) return fieldError(name, "Saisissez le nom.") || name.focus();
      if (!checkedRoles(roles).length) return messages.append(notice("error", "Choisissez au moins un rôle."));
      send.disabled = true;
      try {
        const user = await api("POST", "/api/v1/users", { body: { email: email.value.trim(), full_name: name.value.trim(), roles: checkedRoles(roles) } });
        messages.append(notice("ok", `Invitation envoyée à ${user.email}.`));
        email.value = name.value = "";
        loadUsers(list);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (error.status === 409) messages.append(notice("error", "Cette adresse a déjà un compte dans Bassin."));
        else showErrors(error, inputs, messages);
      } finally {
        send.disabled = false;
      }
    }
  };
}

async function loadUsers(list) {
  fill(list, el("p", { class: "muted" }, "Chargement des utilisateurs…"));
  try {
    const { items } = await everyPage("/api/v1/users", {}, 10);
    fill(
      list,
      table(
        `${items.length} utilisateur${items.length > 1 ? "s" : ""}`,
        [
          ["Nom", (u) => el("span", {}, u.full_name, el("small", {}, ` ${u.email}`))],
          ["Rôles", (u) => u.roles.map((r) => ROLES[r] || r).join(", ")],
          ["État", (u) => badge(...(STATUS[u.status] || ["grey", u.status]))],
          ["Dernière connexion", (u) => (u.last_login_at ? date(u.last_login_at) : "—")],
          ["", (u) => userActions(u, list)],
        ],
        items,
        (u) => ({ "data-user": u.email }),
      ),
    );
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    fill(list, notice("error", "Liste indisponible. ", error.french));
  }
}

function userActions(user, list) {
  const box = el("div", { class: "row-actions" });
  const messages = el("div", { class: "messages" });
  const act = async (method, path, options = {}) => {
    messages.replaceChildren();
    try {
      await api(method, path, options);
      loadUsers(list);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      messages.append(notice("error", error.status === 409 ? "Impossible : l’entreprise doit garder un gérant actif." : error.french));
    }
  };
  const staff = !user.roles.includes("customer");
  if (staff && user.status !== "deactivated") {
    box.append(el("button", { type: "button", class: "quiet", "aria-label": `Changer les rôles de ${user.full_name}`, onclick: () => editRoles() }, "Rôles"));
  }
  if (user.status === "deactivated") {
    box.append(el("button", { type: "button", class: "quiet", "aria-label": `Réactiver ${user.full_name}`, onclick: () => act("POST", `/api/v1/users/${user.id}/reactivate`) }, "Réactiver"));
  } else {
    box.append(
      el(
        "button",
        {
          type: "button",
          class: "quiet",
          "aria-label": `Désactiver ${user.full_name}`,
          onclick: () => window.confirm(`Désactiver ${user.full_name} ? Ses connexions sont fermées aussitôt.`) && act("POST", `/api/v1/users/${user.id}/deactivate`),
        },
        "Désactiver",
      ),
    );
  }
  if (user.status === "invited") box.append(el("button", { type: "button", class: "quiet", "aria-label": `Renvoyer l’invitation de ${user.full_name}`, onclick: () => act("POST", `/api/v1/users/${user.id}/invitation`) }, "Renvoyer"));
  box.append(messages);
  return box;

  async function editRoles() {
    box.querySelector("form")?.remove();
    const read = await api("GET", `/api/v1/users/${user.id}`, { withEtag: true });
    const roles = roleChecks(`roles-${user.id.slice(0, 8)}`, read.data.roles);
    const form = el(
      "form",
      { class: "inline-form", novalidate: true },
      roles,
      el("button", { type: "submit", class: "primary" }, "Enregistrer les rôles"),
      el("button", { type: "button", onclick: () => form.remove() }, "Annuler"),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      act("PUT", `/api/v1/users/${user.id}/roles`, { body: { roles: checkedRoles(roles) }, ifMatch: read.etag });
    });
    box.prepend(form);
    roles.querySelector("input").focus();
  }
}

// --- alert rules and message templates ------------------------------------------------------------

function alerts(body) {
  const list = el("div", {});
  fill(
    body,
    el("div", { class: "block" }, list),
    section("messagerie", "Expéditeur des messages", messaging, "Le nom et l’adresse d’où partent les e-mails aux clients, et la signature des messages."),
  );
  loadRules(list);
}

async function loadRules(list) {
  fill(list, el("p", { class: "muted" }, "Chargement des règles…"));
  try {
    const { items } = await everyPage("/api/v1/notifications/rules", {}, 5);
    if (!items.length) {
      fill(list, el("p", { class: "empty" }, "Aucune règle d’alerte."));
      return;
    }
    fill(
      list,
      el("h2", {}, "Règles d’alerte et modèles de message"),
      el("p", { class: "hint" }, "Dans les modèles, les mots entre accolades sont remplacés : {customer_name}, {due_on}, {company_name} et les champs de l’événement."),
      el("ul", { class: "rules" }, items.map((rule) => ruleItem(rule, list))),
    );
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    fill(list, notice("error", "Règles indisponibles. ", error.french));
  }
}

function ruleItem(rule, list) {
  const detail = el("div", { hidden: true });
  const toggle = el(
    "button",
    { type: "button", class: "article-toggle", "aria-expanded": "false" },
    el("span", { class: "name" }, rule.name),
    el("span", { class: "sku" }, `${label(TRIGGERS_FR.channel, rule.channel)}${rule.delay_days ? `, ${rule.delay_days} j` : ""}`),
    badge(rule.enabled ? "green" : "grey", rule.enabled ? "Active" : "Désactivée"),
  );
  toggle.addEventListener("click", async () => {
    const opening = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(opening));
    detail.hidden = !opening;
    if (opening) await editRule(detail, rule.id, list);
  });
  return el("li", { class: "article", "data-rule": rule.code }, toggle, detail);
}

async function editRule(detail, id, list) {
  fill(detail, el("p", { class: "muted" }, "Chargement…"));
  const read = await api("GET", `/api/v1/notifications/rules/${id}`, { withEtag: true });
  const rule = read.data;
  const k = id.slice(0, 8);
  const inputs = {
    name: el("input", { id: `regle-nom-${k}`, type: "text", value: rule.name }),
    title_template: el("input", { id: `regle-titre-${k}`, type: "text", value: rule.title_template }),
    message_template: el("textarea", { id: `regle-message-${k}`, rows: 4 }),
    delay_days: el("input", { id: `regle-delai-${k}`, type: "number", inputmode: "numeric", step: 1, value: rule.delay_days }),
  };
  inputs.message_template.value = rule.message_template;
  const enabled = el("input", { type: "checkbox", id: `regle-active-${k}`, checked: rule.enabled });
  const messages = el("div", { class: "messages" });
  fill(
    detail,
    el(
      "form",
      { class: "thresholds", novalidate: true, onsubmit: submit },
      field("Nom de la règle", inputs.name),
      field("Titre (modèle)", inputs.title_template),
      field("Message (modèle)", inputs.message_template),
      field("Délai (jours après l’événement)", inputs.delay_days),
      el("div", { class: "field check" }, enabled, el("label", { for: `regle-active-${k}` }, "Règle active")),
      messages,
      el("div", { class: "actions" }, el("button", { type: "submit", class: "primary" }, "Enregistrer la règle")),
    ),
  );
  inputs.name.focus();

  async function submit(event) {
    event.preventDefault();
    clear(inputs, messages);
    const { id: _id, version: _version, ...fields } = rule;
    const changed = {
      ...fields,
      name: inputs.name.value.trim(),
      title_template: inputs.title_template.value,
      message_template: inputs.message_template.value,
      delay_days: Number(inputs.delay_days.value),
      enabled: enabled.checked,
    };
    try {
      await api("PUT", `/api/v1/notifications/rules/${id}`, { body: changed, ifMatch: read.etag });
      await loadRules(list);
      list.prepend(notice("ok", `Règle « ${changed.name} » enregistrée.`));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      showErrors(error, inputs, messages);
    }
  }
}

async function messaging(box) {
  const read = await api("GET", "/api/v1/notifications/settings", { withEtag: true });
  const inputs = {
    company_name: el("input", { id: "msg-societe", type: "text", value: read.data.company_name }),
    sender_name: el("input", { id: "msg-expediteur", type: "text", value: read.data.sender_name || "" }),
    sender_email: el("input", { id: "msg-email", type: "email", value: read.data.sender_email || "" }),
  };
  const messages = el("div", { class: "messages" });
  fill(box, el("form", { novalidate: true, onsubmit: submit }, field("Nom de la société (signature)", inputs.company_name), field("Nom de l’expéditeur", inputs.sender_name), field("Adresse de l’expéditeur", inputs.sender_email), messages, el("button", { type: "submit", class: "primary" }, "Enregistrer l’expéditeur")));

  async function submit(event) {
    event.preventDefault();
    clear(inputs, messages);
    const body = { company_name: inputs.company_name.value.trim(), sender_name: inputs.sender_name.value.trim() || null, sender_email: inputs.sender_email.value.trim() || null };
    try {
      const saved = await api("PUT", "/api/v1/notifications/settings", { body, ifMatch: read.etag, withEtag: true });
      read.etag = saved.etag;
      messages.append(notice("ok", "Expéditeur enregistré."));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      showErrors(error, inputs, messages);
    }
  }
}

// --- pool types and their construction templates -----------------------------------------------

async function poolTypes(body) {
  fill(body, el("p", { class: "muted" }, "Chargement des types de bassin…"));
  try {
    const { items } = await everyPage("/api/v1/worksites/pool-types", {}, 5);
    const detail = el("div", { class: "block" });
    fill(
      body,
      el("p", { class: "hint" }, "Chaque type de bassin porte son modèle de chantier : les étapes, leur durée et leur ordre. Un chantier garde la copie du modèle du jour où il a été créé."),
      table(
        `${items.length} types de bassin`,
        [
          ["Code", (t) => t.code],
          ["Nom", (t) => t.name],
          ["Dimensions", (t) => `${[t.length_m, t.width_m, t.mean_depth_m].map((d) => number(Number(d))).join(" × ")} m`],
          ["", (t) => el("button", { type: "button", class: "quiet", "aria-label": `Modifier ${t.code}`, onclick: () => editPoolType(detail, t.id) }, "Modifier")],
        ],
        items,
      ),
      detail,
    );
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    fill(body, notice("error", "Types de bassin indisponibles. ", error.french));
  }
}

async function editPoolType(detail, id) {
  const read = await api("GET", `/api/v1/worksites/pool-types/${id}`, { withEtag: true });
  const type = read.data;
  const name = el("input", { id: "type-nom", type: "text", value: type.name });
  const durations = type.steps.map((s, i) => el("input", { id: `type-etape-${i}`, type: "number", inputmode: "numeric", min: 0, step: 1, value: s.duration_days, "aria-label": `Durée en jours : ${s.name}` }));
  const messages = el("div", { class: "messages" });
  fill(
    detail,
    el(
      "form",
      { class: "panel", novalidate: true, onsubmit: submit },
      el("h2", {}, `Modèle de chantier ${type.code}`),
      field("Nom", name),
      table("Étapes et durées (jours ouvrés)", [["Étape", (s) => s.name], ["Durée", (s) => durations[type.steps.indexOf(s)], { num: true }]], type.steps),
      messages,
      el("button", { type: "submit", class: "primary" }, "Enregistrer le modèle"),
    ),
  );
  name.focus();

  async function submit(event) {
    event.preventDefault();
    messages.replaceChildren();
    const { id: _id, version: _version, ...fields } = type;
    const steps = type.steps.map((s, i) => ({ ...s, duration_days: Number(durations[i].value) }));
    try {
      const saved = await api("PUT", `/api/v1/worksites/pool-types/${id}`, { body: { ...fields, name: name.value.trim(), steps }, ifMatch: read.etag, withEtag: true });
      read.etag = saved.etag;
      messages.append(notice("ok", "Modèle enregistré : les prochains chantiers de ce type le suivront."));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      showErrors(error, { name }, messages);
    }
  }
}

// --- standard services ---------------------------------------------------------------------------

async function services(body) {
  const list = el("div", {});
  fill(body, el("div", { class: "block" }, list), section("nouvelle-prestation", "Nouvelle prestation", newService(list)));
  loadServices(list);
}

async function loadServices(list) {
  const { items } = await everyPage("/api/v1/sav/standard-services", {}, 5);
  fill(
    list,
    items.length
      ? table(
          "Prestations standard",
          [
            ["Code", (s) => s.code],
            ["Nom", (s) => s.name],
            ["Durée", (s) => `${s.duration_minutes} min`, { num: true }],
            ["Points de contrôle", (s) => s.checklist.join(" · ") || "—"],
          ],
          items,
        )
      : el("p", { class: "empty" }, "Aucune prestation : créez la première ci-dessous (ex. mise en route, hivernage, diagnostic)."),
  );
}

function newService(list) {
  return (box) => {
    const inputs = {
      code: el("input", { id: "presta-code", type: "text", placeholder: "ex. HIVER" }),
      name: el("input", { id: "presta-nom", type: "text", placeholder: "ex. Hivernage actif" }),
      duration_minutes: el("input", { id: "presta-duree", type: "number", inputmode: "numeric", min: 5, step: 5, value: 60 }),
      checklist: el("textarea", { id: "presta-controles", rows: 3 }),
    };
    const messages = el("div", { class: "messages" });
    fill(
      box,
      el(
        "form",
        { novalidate: true, onsubmit: submit },
        el("div", { class: "pair" }, field("Code", inputs.code), field("Nom", inputs.name)),
        field("Durée (minutes)", inputs.duration_minutes),
        field("Points de contrôle", inputs.checklist, "Un par ligne."),
        messages,
        el("button", { type: "submit", class: "primary" }, "Créer la prestation"),
      ),
    );

    async function submit(event) {
      event.preventDefault();
      clear(inputs, messages);
      const body = {
        code: inputs.code.value.trim(),
        name: inputs.name.value.trim(),
        duration_minutes: Number(inputs.duration_minutes.value),
        checklist: inputs.checklist.value.split("\n").map((l) => l.trim()).filter(Boolean),
      };
      try {
        await api("POST", "/api/v1/sav/standard-services", { body, idempotencyKey: newKey() });
        messages.append(notice("ok", `Prestation ${body.code} créée.`));
        await loadServices(list);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        showErrors(error, inputs, messages);
      }
    }
  };
}

// --- question trees ---------------------------------------------------------------------------------

async function questionTrees(body) {
  const list = el("div", {});
  fill(body, el("div", { class: "block" }, list), section("nouvel-arbre", "Nouvelles questions pour une catégorie", newTree(list), "Les questions posées au client quand il appelle pour ce matériel ; elles remplacent celles d’avant pour les prochains tickets."));
  loadTrees(list);
}

async function loadTrees(list) {
  const { items } = await everyPage("/api/v1/sav/question-trees", {}, 5);
  const current = new Map();
  for (const tree of items) if (!current.has(tree.category)) current.set(tree.category, tree);
  fill(
    list,
    current.size
      ? [...current.values()].map((tree) =>
          el(
            "section",
            { class: "panel", "data-tree": tree.category },
            el("h2", {}, label(CATEGORIES, tree.category), el("small", {}, ` — depuis le ${date(tree.created_at)}`)),
            el("ol", {}, tree.questions.map((q) => el("li", {}, q.text, q.choices.length ? el("small", {}, ` (${q.choices.map((c) => c.label || c.value).join(" / ")})`) : null))),
          ),
        )
      : el("p", { class: "empty" }, "Aucune question définie : le ticket est qualifié sans guide."),
  );
}

function newTree(list) {
  return (box) => {
    const category = el("select", { id: "arbre-categorie" }, Object.entries(CATEGORIES).map(([value, text]) => el("option", { value }, text)));
    const questions = el("textarea", { id: "arbre-questions", rows: 5, placeholder: "L’afficheur indique-t-il un code erreur ? | oui | non\nLe ventilateur tourne-t-il ? | oui | non" });
    const messages = el("div", { class: "messages" });
    fill(
      box,
      el(
        "form",
        { novalidate: true, onsubmit: submit },
        field("Catégorie de matériel", category),
        field("Questions", questions, "Une question par ligne, suivie de ses réponses possibles séparées par « | ». Sans réponse : texte libre."),
        messages,
        el("button", { type: "submit", class: "primary" }, "Enregistrer les questions"),
      ),
    );

    async function submit(event) {
      event.preventDefault();
      fieldError(questions, null);
      messages.replaceChildren();
      const lines = questions.value.split("\n").map((l) => l.trim()).filter(Boolean);
      if (!lines.length) return fieldError(questions, "Au moins une question.") || questions.focus();
      const parsed = lines.map((line, i) => {
        const [text, ...choices] = line.split("|").map((p) => p.trim()).filter(Boolean);
        const next = i + 1 < lines.length ? `q${i + 2}` : null;
        return choices.length
          ? { key: `q${i + 1}`, text, kind: "choice", choices: choices.map((c, n) => ({ value: `r${n + 1}`, label: c, next })) }
          : { key: `q${i + 1}`, text, kind: "text", next };
      });
      try {
        await api("POST", "/api/v1/sav/question-trees", { body: { category: category.value, questions: parsed }, idempotencyKey: newKey() });
        messages.append(notice("ok", `Questions enregistrées pour : ${label(CATEGORIES, category.value)}.`));
        questions.value = "";
        await loadTrees(list);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        fieldError(questions, frenchMessages(Object.values(error.errors).flat()));
        messages.append(notice("error", error.french));
      }
    }
  };
}

// --- water-analysis targets -----------------------------------------------------------------------

async function waterTargets(body) {
  fill(body, el("p", { class: "muted" }, "Chargement des cibles…"));
  const { targets } = await api("GET", "/api/v1/customers/water-targets");
  const rows = el("tbody", {});
  const messages = el("div", { class: "messages" });
  const add = (t = { parameter: "ph", coating: "*", treatment: "*", low: "", high: "", aim: null }) => {
    const n = rows.children.length;
    const parameter = el("select", { "aria-label": `Mesure, ligne ${n + 1}` }, Object.entries(PARAMETERS).map(([v, text]) => el("option", { value: v, selected: v === t.parameter }, text)));
    const cell = (value, name) => el("input", { type: "text", inputmode: "decimal", value: value ?? "", "aria-label": `${name}, ligne ${n + 1}`, class: "short" });
    const low = cell(t.low, "Minimum");
    const high = cell(t.high, "Maximum");
    const aim = cell(t.aim, "Idéal");
    const remove = el("button", { type: "button", class: "quiet", "aria-label": `Retirer la ligne ${n + 1}` }, "Retirer");
    const row = el(
      "tr",
      { dataset: { coating: t.coating, treatment: t.treatment } },
      el("td", { "data-label": "Mesure" }, parameter),
      el("td", { "data-label": "Minimum" }, low),
      el("td", { "data-label": "Maximum" }, high),
      el("td", { "data-label": "Idéal" }, aim),
      el("td", { "data-label": "Pour" }, t.coating === "*" && t.treatment === "*" ? "Tous bassins" : `${t.coating} / ${t.treatment}`),
      el("td", {}, remove),
    );
    remove.addEventListener("click", () => row.remove());
    rows.append(row);
  };
  targets.forEach(add);
  fill(
    body,
    el("p", { class: "hint" }, "Vos fourchettes remplacent celles de la profession pour les analyses et leurs recommandations. Nombres avec un point ou une virgule."),
    el("form", { novalidate: true, onsubmit: submit },
      el("div", { class: "table-wrap" }, el("table", { class: "stack targets" }, el("caption", {}, "Cibles de l’entreprise"), el("thead", {}, el("tr", {}, ["Mesure", "Minimum", "Maximum", "Idéal", "Pour", ""].map((h) => el("th", { scope: "col" }, h)))), rows)),
      el("button", { type: "button", onclick: () => add() }, "Ajouter une cible"),
      messages,
      el("button", { type: "submit", class: "primary" }, "Enregistrer les cibles"),
    ),
  );
  if (!targets.length) add();

  async function submit(event) {
    event.preventDefault();
    messages.replaceChildren();
    const decimal = (input) => (input.value.trim() ? input.value.trim().replace(",", ".") : null);
    const list = [...rows.children].map((row) => {
      const [parameter, low, high, aim] = row.querySelectorAll("select, input");
      return { parameter: parameter.value, coating: row.dataset.coating, treatment: row.dataset.treatment, low: decimal(low), high: decimal(high), aim: decimal(aim) };
    });
    try {
      await api("PUT", "/api/v1/customers/water-targets", { body: { targets: list }, idempotencyKey: newKey() });
      messages.append(notice("ok", "Cibles enregistrées : les prochaines analyses les suivent."));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const lines = Object.entries(error.errors).map(([where, text]) => `${where.replace(/^targets\[(\d+)\]\.?/, (_, i) => `ligne ${Number(i) + 1} `)} : ${frenchMessages(text)}`);
      messages.append(notice("error", error.french, lines.length ? el("ul", {}, lines.map((l) => el("li", {}, l))) : null));
    }
  }
}

// --- the company's legal details (invoices, slips, quotes) --------------------------------------

const LEGAL = [
  ["company_name", "Raison sociale", "text"],
  ["legal_form", "Forme juridique et capital", "text", "ex. SARL au capital de 20 000 €"],
  ["siren", "SIREN", "text"],
  ["siret", "SIRET", "text"],
  ["vat_number", "N° de TVA intracommunautaire", "text"],
  ["email", "E-mail", "email"],
  ["phone", "Téléphone", "tel"],
  ["payment_terms_days", "Délai de paiement (jours)", "number"],
  ["late_payment_terms", "Pénalités de retard (mention légale)", "textarea"],
];

async function company(body) {
  fill(body, el("p", { class: "muted" }, "Chargement…"));
  const read = await api("GET", "/api/v1/pos/billing-settings", { withEtag: true });
  const inputs = {};
  for (const [name, , type] of LEGAL) {
    const value = read.data[name] ?? "";
    inputs[name] = type === "textarea" ? el("textarea", { id: `legal-${name}`, rows: 3 }) : el("input", { id: `legal-${name}`, type, value, ...(type === "number" ? { inputmode: "numeric", min: 0, step: 1 } : {}) });
    if (type === "textarea") inputs[name].value = value;
  }
  inputs.address = el("textarea", { id: "legal-address", rows: 3 });
  inputs.address.value = (read.data.address || []).join("\n");
  const fields = LEGAL.map(([name, text, , hint]) => field(text, inputs[name], hint || null));
  const messages = el("div", { class: "messages" });
  fill(
    body,
    el("p", { class: "hint" }, "Ces mentions figurent sur les factures, avoirs et devis : elles sont obligatoires."),
    el(
      "form",
      { class: "panel", novalidate: true, onsubmit: submit },
      fields[0],
      field("Adresse", inputs.address, "Une ligne par ligne d’adresse."),
      fields.slice(1),
      messages,
      el("button", { type: "submit", class: "primary" }, "Enregistrer les mentions légales"),
    ),
  );

  async function submit(event) {
    event.preventDefault();
    clear(inputs, messages);
    const changed = { ...read.data };
    delete changed.version;
    for (const [name, , type] of LEGAL) changed[name] = type === "number" ? Number(inputs[name].value) : inputs[name].value.trim();
    changed.address = inputs.address.value.split("\n").map((l) => l.trim()).filter(Boolean);
    try {
      const saved = await api("PUT", "/api/v1/pos/billing-settings", { body: changed, ifMatch: read.etag, withEtag: true });
      read.etag = saved.etag;
      read.data = saved.data;
      messages.append(notice("ok", "Mentions légales enregistrées : les prochains documents les portent."));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      showErrors(error, inputs, messages);
    }
  }
}

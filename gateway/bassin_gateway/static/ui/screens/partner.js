// The manufacturer's portal (issue 27): a partner logs in with the API key its pool company
// gave it (ADR 0009: the key names one brand of one company), sees its own brand's warranty
// returns and answers them, and keeps its webhook endpoint and signing secret. What the
// server answers is the key's brand only; another brand's return is 404.

import { api, ApiError, forgetSession, frenchMessages, keepApiKey } from "../api.js";
import { el, field, fieldError, fill, notice } from "../dom.js";
import { date, time } from "../format.js";
import { badge, CATEGORIES, label, RETURN_STATUSES, section } from "./outside.js";

const P = "/api/v1/partner";
// What the manufacturer may answer from each status (closing stays the company's).
const NEXT = { requested: ["accepted", "refused"], accepted: ["part_shipped", "refused"], part_shipped: ["credited"] };
const COLOURS = { requested: "orange", accepted: "green", part_shipped: "green", credited: "green", refused: "red", closed: "grey" };

export default {
  render(main) {
    const title = el("h1", {}, "Retours garantie");
    fill(
      main,
      title,
      el("p", { class: "lead" }, "Les demandes de retour sous garantie de votre marque, envoyées par l’installateur. Répondez à chacune : il suit son avancement dans Bassin."),
      section("retours", "Retours de votre marque", returns),
      section("webhook", "Notifications (webhook)", webhook, "Bassin envoie chaque nouveau retour et chaque changement à votre adresse, signés avec votre secret (en-tête de signature HMAC-SHA256)."),
    );
    api("GET", "/api/v1/partners/me").then(
      (me) => fill(title, `Retours garantie — ${me.brand}`),
      (error) => {
        if (!(error instanceof ApiError)) throw error;
      },
    );
  },
};

async function returns(body) {
  const page = await api("GET", `${P}/sav/warranty-returns`, { query: { limit: 50 } });
  if (!page.items.length) {
    fill(body, el("p", { class: "empty" }, "Aucun retour pour votre marque pour l’instant."));
    return;
  }
  fill(body, el("ul", { class: "returns" }, page.items.map((rma) => returnCard(rma))));
}

function returnCard(rma) {
  const item = el("li", { class: "return panel", "data-return": rma.serial_number });
  draw();
  return item;

  function draw() {
    const last = rma.history[rma.history.length - 1];
    fill(
      item,
      el("h3", {}, `${label(CATEGORIES, rma.category)} ${rma.model}`, " ", badge(COLOURS[rma.status] || "grey", label(RETURN_STATUSES, rma.status))),
      el(
        "dl",
        { class: "facts" },
        fact("N° de série", rma.serial_number),
        fact("Demandé le", `${date(rma.requested_at)} à ${time(rma.requested_at)}`),
        fact("Installé le", rma.installed_on ? date(rma.installed_on) : "—"),
        fact("Panne", rma.fault_description),
        fact("Code erreur", rma.error_code || "—"),
        fact("Preuve d’achat", rma.proof_of_purchase),
        last && last.note ? fact("Dernière note", last.note) : null,
      ),
      NEXT[rma.status] ? answerForm() : el("p", { class: "muted" }, rma.status === "closed" ? "Retour clos." : "En attente de la clôture par l’installateur."),
    );
  }

  function answerForm() {
    const id = rma.id.slice(0, 8);
    const status = el("select", { id: `statut-${id}` }, NEXT[rma.status].map((s) => el("option", { value: s }, RETURN_STATUSES[s])));
    const note = el("input", { id: `note-${id}`, type: "text", maxlength: 2000, placeholder: "ex. Accord RMA n° 55-1182" });
    const messages = el("div", { class: "messages" });
    const save = el("button", { type: "submit", class: "primary" }, "Envoyer la réponse");
    return el(
      "form",
      { class: "answer", novalidate: true, onsubmit: submit },
      el("div", { class: "pair" }, field("Nouveau statut", status), field("Note pour l’installateur", note)),
      messages,
      save,
    );

    async function submit(event) {
      event.preventDefault();
      messages.replaceChildren();
      save.disabled = true;
      try {
        rma = await api("POST", `${P}/sav/warranty-returns/${rma.id}/status-changes`, { body: { status: status.value, note: note.value.trim() || null } });
        draw();
        item.append(notice("ok", `Réponse enregistrée : ${RETURN_STATUSES[rma.status]}.`));
      } catch (error) {
        save.disabled = false;
        if (!(error instanceof ApiError)) throw error;
        messages.append(notice("error", error.errors.status ? frenchMessages(error.errors.status) : error.french));
      }
    }
  }
}

function fact(term, value) {
  return el("div", {}, el("dt", {}, term), el("dd", {}, value));
}

async function webhook(body) {
  let endpoint;
  try {
    endpoint = await api("GET", `${P}/notifications/endpoint`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      fill(body, el("p", { class: "empty" }, "L’installateur ne vous a pas encore inscrit à ses notifications : demandez-lui de vous ajouter comme partenaire."));
      return;
    }
    throw error;
  }
  const url = el("input", { id: "webhook-url", type: "url", inputmode: "url", spellcheck: "false", value: endpoint.webhook_url || "", placeholder: "adresse complète, en https" });
  const messages = el("div", { class: "messages" });
  const secretBox = el("div", { "aria-live": "polite" });
  const rotate = el("button", { type: "button", onclick: rotateSecret }, "Renouveler le secret de signature");
  fill(
    body,
    el(
      "form",
      { novalidate: true, onsubmit: saveUrl },
      field("Adresse de votre webhook", url, "Vide : plus d’envoi par webhook."),
      messages,
      el("button", { type: "submit", class: "primary" }, "Enregistrer l’adresse"),
    ),
    el("h3", {}, "Secret de signature"),
    el("p", {}, "Renouvelez-le s’il a pu être divulgué. L’ancien cesse aussitôt de signer : mettez le nouveau en place de votre côté tout de suite."),
    rotate,
    secretBox,
  );

  async function saveUrl(event) {
    event.preventDefault();
    fieldError(url, null);
    messages.replaceChildren();
    try {
      endpoint = await api("PUT", `${P}/notifications/endpoint`, { body: { webhook_url: url.value.trim() || null } });
      messages.append(notice("ok", endpoint.webhook_url ? `Les notifications partiront vers ${endpoint.webhook_url}.` : "Plus de notification par webhook."));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 422) fieldError(url, "Une adresse web complète, commençant par « https ».");
      messages.append(notice("error", error.french));
    }
  }

  async function rotateSecret() {
    if (!window.confirm("Renouveler le secret ? L’ancien cesse de signer immédiatement.")) return;
    rotate.disabled = true;
    try {
      const rotated = await api("POST", `${P}/notifications/endpoint/secret-rotation`);
      fill(
        secretBox,
        notice("ok", "Nouveau secret — copiez-le maintenant, il ne sera plus affiché :"),
        el("p", {}, el("code", { class: "secret", "data-secret": "" }, rotated.secret)),
      );
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      fill(secretBox, notice("error", error.french));
    } finally {
      rotate.disabled = false;
    }
  }
}

/** The partners' login page: the API key instead of an e-mail and a password. */
export const login = {
  render(root, { navigate }) {
    const key = el("input", { type: "password", id: "cle", autocomplete: "off", spellcheck: "false", required: true });
    const messages = el("div", { class: "messages" });
    const submit = el("button", { type: "submit", class: "primary wide" }, "Se connecter");
    fill(
      root,
      el(
        "main",
        { id: "contenu", class: "login" },
        el(
          "div",
          { class: "login-card" },
          el("p", { class: "brand big" }, el("img", { src: "/ui/icon.svg", alt: "", width: 40, height: 40 }), "Bassin"),
          el("h1", {}, "Espace constructeur"),
          el("p", {}, "Connectez-vous avec la clé d’accès (bassin_pk_…) que l’installateur vous a remise."),
          messages,
          el("form", { class: "login-form", novalidate: true, onsubmit: onSubmit }, field("Clé d’accès", key), submit),
          el("p", { class: "forgotten" }, el("a", { href: "/connexion", "data-link": true }, "Vous êtes salarié ou client ? Connexion habituelle")),
        ),
      ),
    );
    key.focus();

    async function onSubmit(event) {
      event.preventDefault();
      fieldError(key, null);
      messages.replaceChildren();
      const value = key.value.trim();
      if (!value.startsWith("bassin_pk_")) {
        fieldError(key, "Une clé d’accès commence par bassin_pk_.");
        key.focus();
        return;
      }
      submit.disabled = true;
      keepApiKey(value, "Constructeur");
      try {
        const me = await api("GET", "/api/v1/partners/me");
        keepApiKey(value, me.brand);
        navigate("/partenaire", { replace: true });
      } catch (error) {
        forgetSession();
        submit.disabled = false;
        messages.append(notice("error", "Cette clé n’est pas valable (ou a été révoquée). Demandez-en une nouvelle à l’installateur."));
      }
    }
  },
};

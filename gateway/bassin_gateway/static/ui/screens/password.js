// Pages open without a session: asking for a password reset link, and choosing a password
// through an e-mailed link (an invitation or a reset: the token is in the address's
// fragment, which the browser never sends to a server).

import { ApiError, frenchMessages, publicCall } from "../api.js";
import { el, field, fieldError, fill, notice } from "../dom.js";

const CHOOSE = {
  "/invitation": { title: "Bienvenue dans Bassin", lead: "Choisissez le mot de passe de votre compte.", path: "/api/v1/auth/invitation/accept" },
  "/password-reset": { title: "Nouveau mot de passe", lead: "Choisissez votre nouveau mot de passe : vos autres connexions seront fermées.", path: "/api/v1/auth/password-reset/confirm" },
};

function page(root, title, ...children) {
  fill(
    root,
    el(
      "main",
      { id: "contenu", class: "login" },
      el("div", { class: "login-card" }, el("p", { class: "brand big" }, el("img", { src: "/ui/icon.svg", alt: "", width: 40, height: 40 }), "Bassin"), el("h1", {}, title), ...children),
    ),
  );
}

/** /mot-de-passe-oublie: a link to choose a new password, sent by e-mail. */
export const forgotten = {
  render(root) {
    const email = el("input", { type: "email", autocomplete: "username", inputmode: "email", spellcheck: "false" });
    const messages = el("div", { class: "messages" });
    const submit = el("button", { type: "submit", class: "primary wide" }, "Recevoir un lien");
    page(
      root,
      "Mot de passe oublié",
      el("p", { class: "lead" }, "Saisissez l’adresse de votre compte : un lien pour choisir un nouveau mot de passe vous sera envoyé."),
      messages,
      el("form", { novalidate: true, onsubmit }, field("Adresse e-mail", email), submit),
      el("p", {}, el("a", { href: "/connexion", "data-link": true }, "Retour à la connexion")),
    );
    email.focus();

    async function onsubmit(event) {
      event.preventDefault();
      fieldError(email, null);
      messages.replaceChildren();
      if (!email.value.trim()) return fieldError(email, "Saisissez votre adresse e-mail.") || email.focus();
      submit.disabled = true;
      try {
        await publicCall("POST", "/api/v1/auth/password-reset", { email: email.value.trim() });
        messages.append(notice("ok", "Si un compte actif a cette adresse, un lien vient d’y être envoyé. Il est valable quelques heures."));
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (error.errors.email) fieldError(email, frenchMessages(error.errors.email));
        messages.append(notice("error", error.french));
      } finally {
        submit.disabled = false;
      }
    }
  },
};

/** /invitation and /password-reset: the password chosen through the e-mailed link. */
export const choose = {
  render(root, { navigate }) {
    const kind = CHOOSE[location.pathname];
    const token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
    const password = el("input", { type: "password", autocomplete: "new-password", minlength: 10 });
    const again = el("input", { type: "password", autocomplete: "new-password" });
    const messages = el("div", { class: "messages" });
    const submit = el("button", { type: "submit", class: "primary wide" }, "Enregistrer le mot de passe");
    page(
      root,
      kind.title,
      el("p", { class: "lead" }, kind.lead),
      messages,
      el("form", { novalidate: true, onsubmit }, field("Mot de passe (10 caractères au moins)", password), field("Le même, pour vérifier", again), submit),
    );
    if (!token) messages.append(notice("error", "Ce lien est incomplet : ouvrez-le tel qu’il est dans l’e-mail, ou demandez-en un nouveau."));
    password.focus();

    async function onsubmit(event) {
      event.preventDefault();
      fieldError(password, null);
      fieldError(again, null);
      messages.replaceChildren();
      if (password.value.length < 10) return fieldError(password, "10 caractères au moins.") || password.focus();
      if (again.value !== password.value) return fieldError(again, "Les deux saisies diffèrent.") || again.focus();
      submit.disabled = true;
      try {
        await publicCall("POST", kind.path, { token, password: password.value });
        history.replaceState(null, "", location.pathname); // the used token out of the address bar
        navigate("/connexion?raison=mot-de-passe", { replace: true });
      } catch (error) {
        submit.disabled = false;
        if (!(error instanceof ApiError)) throw error;
        if (error.errors.token) {
          messages.append(notice("error", "Ce lien n’est plus valable (déjà utilisé ou expiré). ", el("a", { href: "/mot-de-passe-oublie", "data-link": true }, "Demander un nouveau lien")));
        } else {
          if (error.errors.password) fieldError(password, frenchMessages(error.errors.password));
          messages.append(notice("error", error.french));
        }
      }
    }
  },
};

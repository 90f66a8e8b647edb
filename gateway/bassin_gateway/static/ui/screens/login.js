// The login page: the gateway's login API; a message when the session expired or ended.

import { ApiError, frenchMessages, login } from "../api.js";
import { el, field, fieldError, fill, notice } from "../dom.js";

const REASONS = {
  expiree: ["info", "Votre session a expiré. Reconnectez-vous pour continuer."],
  deconnexion: ["info", "Vous êtes déconnecté."],
  "mot-de-passe": ["ok", "Mot de passe enregistré : connectez-vous avec lui."],
};

export default {
  render(root, { navigate }) {
    const params = new URLSearchParams(location.search);
    const next = safeNext(params.get("suite"));
    const email = el("input", { type: "email", name: "email", autocomplete: "username", required: true, inputmode: "email", spellcheck: "false" });
    const password = el("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
    const submit = el("button", { type: "submit", class: "primary wide" }, "Se connecter");
    const messages = el("div", { class: "messages" });
    const reason = REASONS[params.get("raison")];
    if (reason) messages.append(notice(reason[0], reason[1]));

    const form = el(
      "form",
      { class: "login-form", novalidate: true, onsubmit: onSubmit },
      field("Adresse e-mail", email),
      field("Mot de passe", password),
      submit,
      el("p", { class: "forgotten" }, el("a", { href: "/mot-de-passe-oublie", "data-link": true }, "Mot de passe oublié ?")),
    );
    fill(
      root,
      el(
        "main",
        { id: "contenu", class: "login" },
        el("div", { class: "login-card" }, el("p", { class: "brand big" }, el("img", { src: "/ui/icon.svg", alt: "", width: 40, height: 40 }), "Bassin"), el("h1", {}, "Connexion"), messages, form),
      ),
    );
    email.focus();

    async function onSubmit(event) {
      event.preventDefault();
      fieldError(email, null);
      fieldError(password, null);
      messages.replaceChildren();
      if (!email.value.trim()) return refuse(email, "Saisissez votre adresse e-mail.");
      if (!password.value) return refuse(password, "Saisissez votre mot de passe.");
      submit.disabled = true;
      submit.textContent = "Connexion…";
      try {
        await login(email.value.trim(), password.value);
        navigate(next, { replace: true });
      } catch (error) {
        submit.disabled = false;
        submit.textContent = "Se connecter";
        if (!(error instanceof ApiError)) throw error;
        if (error.status === 401) {
          messages.append(notice("error", "E-mail ou mot de passe incorrect. Vérifiez-les, ou demandez un nouveau mot de passe à votre gérant."));
          password.select();
          password.focus();
        } else if (error.status === 422) {
          const inputs = { email, password };
          for (const [name, text] of Object.entries(error.errors)) {
            if (inputs[name]) fieldError(inputs[name], frenchMessages(text));
          }
          messages.append(notice("error", error.french));
        } else {
          messages.append(notice("error", error.french));
        }
      }
    }

    function refuse(input, message) {
      fieldError(input, message);
      input.focus();
    }
  },
};

/** Only a path of this site (never another origin) after logging in. */
function safeNext(value) {
  return value && value.startsWith("/") && !value.startsWith("//") && !value.startsWith("/connexion") ? value : "/";
}

// The customer list: search as you type (name, phone, e-mail, city, postcode, equipment
// serial number, without accents), keyboard first: ↓ from the field walks the results,
// Enter opens the file. Reached from every page by the header's search (Ctrl+K).

import { api, ApiError } from "../api.js";
import { debounce, el, fill, notice } from "../dom.js";

export default {
  render(main, { navigate }) {
    const initial = new URLSearchParams(location.search).get("q") || "";
    const search = el("input", {
      id: "recherche-client",
      type: "search",
      autocomplete: "off",
      spellcheck: "false",
      value: initial,
      placeholder: "ex. durand nimes, 06 12, PF-2024",
      "aria-describedby": "recherche-client-aide",
      "aria-controls": "clients-trouves",
    });
    const list = el("div", { "aria-live": "polite" });
    const more = el("button", { type: "button", class: "quiet", hidden: true }, "Afficher plus de clients");
    fill(
      main,
      el("h1", {}, "Clients"),
      el(
        "div",
        { class: "field search-field" },
        el("label", { for: "recherche-client" }, "Rechercher un client"),
        search,
        el("p", { class: "hint", id: "recherche-client-aide" }, "Nom, téléphone, e-mail, ville, code postal ou n° de série d’un équipement. ↓ pour parcourir, Entrée pour ouvrir."),
      ),
      list,
      more,
    );
    let cursor = null;
    let generation = 0;

    const run = async (append) => {
      const mine = ++generation;
      const query = search.value.trim();
      if (!append) cursor = null;
      try {
        const page = await api("GET", "/api/v1/customers/customers", { query: { q: query, limit: 25, ...(cursor ? { cursor } : {}) } });
        if (mine !== generation) return; // an older search answered late
        if (!append) list.replaceChildren();
        if (!append && !page.items.length) {
          list.append(el("p", { class: "empty" }, query ? `Aucun client ne correspond à « ${query} ». Essayez une partie du nom ou le numéro de téléphone.` : "Aucun client pour l’instant."));
        } else {
          if (!list.querySelector("ul")) list.append(el("ul", { class: "customer-list", id: "clients-trouves", "aria-label": "Clients trouvés" }));
          list.querySelector("ul").append(...page.items.map(row));
        }
        cursor = page.next;
        more.hidden = !cursor;
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        fill(list, notice("error", "La recherche n’a pas abouti. ", error.french));
      }
    };
    search.addEventListener("input", debounce(() => run(false), 200));
    search.addEventListener("keydown", (event) => {
      const links = [...list.querySelectorAll("a.customer-link")];
      if (event.key === "ArrowDown" && links.length) {
        event.preventDefault();
        links[0].focus();
      } else if (event.key === "Enter" && links.length) {
        event.preventDefault();
        navigate(links[0].getAttribute("href"));
      }
    });
    list.addEventListener("keydown", (event) => {
      const links = [...list.querySelectorAll("a.customer-link")];
      const at = links.indexOf(document.activeElement);
      if (at < 0) return;
      if (event.key === "ArrowDown" && at + 1 < links.length) {
        event.preventDefault();
        links[at + 1].focus();
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        (at ? links[at - 1] : search).focus();
      }
    });
    more.addEventListener("click", () => run(true));
    run(false);
    search.focus();
  },
};

function row(customer) {
  const reach = [customer.phone, customer.email].filter(Boolean).join(" · ");
  return el(
    "li",
    {},
    el(
      "a",
      { class: "customer-link", href: `/client?id=${customer.id}`, "data-link": true },
      el("span", { class: "name" }, customer.display_name, customer.kind === "company" ? el("small", {}, " (professionnel)") : null),
      el("span", { class: "where" }, `${customer.postcode} ${customer.city}`),
      reach ? el("span", { class: "reach" }, reach) : null,
    ),
  );
}

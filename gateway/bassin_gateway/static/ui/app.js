// The shell: the router (real paths, History API), the layout with the navigation the
// user's permissions allow, session expiry. Each screen is a module whose default export
// is {title, requires, render(main, context)}; render may return a cleanup function.

import { api, ApiError, currentSession, logout, SessionExpired } from "./api.js";
import { el, fill, notice } from "./dom.js";

// A new screen: one line here (its path, its module, the permission it needs, whether it
// is in the navigation) and its path in PAGES of bassin_gateway/ui.py.
const SCREENS = [
  { path: "/", label: "Tableau de bord", module: "./screens/dashboard.js", requires: null },
  { path: "/caisse", label: "Caisse", module: "./screens/till.js", requires: "record_sales" },
  { path: "/stock", label: "Stock", module: "./screens/stock.js", requires: "read_business_data" },
  // Customer file, prospects and quotes (issue 26, customer file)
  { path: "/clients", label: "Clients", module: "./screens/customers.js", requires: "read_business_data" },
  { path: "/client", label: "Fiche client", module: "./screens/customer.js", requires: "read_business_data", hidden: true },
  { path: "/prospects", label: "Prospects et devis", module: "./screens/pipeline.js", requires: "manage_sales_pipeline" },
  { path: "/devis", label: "Devis", module: "./screens/quote.js", requires: "manage_sales_pipeline", hidden: true },
  // shop and office (issue 26): cash session and Z report (from the till), purchasing, billing
  { path: "/caisse/session", label: "Ouverture et clôture de caisse", module: "./screens/cash.js", requires: "record_sales", hidden: true },
  { path: "/achats", label: "Achats", module: "./screens/purchasing.js", requires: "manage_purchasing" },
  { path: "/facturation", label: "Facturation", module: "./screens/billing.js", requires: "manage_invoices" },
  // the field: worksite planner and SAV desk (issue 27)
  { path: "/chantiers", label: "Chantiers", module: "./screens/planner.js", requires: "read_business_data" },
  { path: "/sav", label: "SAV", module: "./screens/sav.js", requires: "manage_service_tickets" },
  // portals and settings (issue 27)
  { path: "/portail", label: "Mon espace", module: "./screens/portal.js", requires: "read_own_customer_account" },
  { path: "/partenaire", label: "Retours garantie", module: "./screens/partner.js", requires: "read_brand_warranty_returns" },
  { path: "/parametres", label: "Paramètres", module: "./screens/settings.js", requires: "manage_users" },
  // the technician's phone (issue #27, ADR 0027)
  // (in the navigation of technicians only: a manager opens it by its address)
  { path: "/technicien", label: "Ma journée", module: "./screens/technician.js", requires: "perform_interventions", navRoles: ["technician"] },
];
// The first screen of those who are not the company's staff (portals, issue 27).
const HOMES = [
  ["read_own_customer_account", "/portail"],
  ["read_brand_warranty_returns", "/partenaire"],
];
const LOGIN = "/connexion";
// Pages open without a session: [module, its export].
const PUBLIC = {
  [LOGIN]: ["./screens/login.js", "default"],
  "/mot-de-passe-oublie": ["./screens/password.js", "forgotten"],
  "/invitation": ["./screens/password.js", "choose"],
  "/password-reset": ["./screens/password.js", "choose"],
  "/connexion-partenaire": ["./screens/partner.js", "login"], // issue 27
};

const root = document.getElementById("app");
let me = null; // {user_id, roles, permissions} of /ui/me
let cleanup = null;
let navigated = false; // a screen shown after another (not the page's first)

export function navigate(path, { replace = false } = {}) {
  navigated = true;
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  show();
}

/** The session is over (expired, revoked, logged out elsewhere): back to the login page. */
export function sessionExpired() {
  me = null;
  const next = location.pathname === LOGIN ? "/" : location.pathname + location.search;
  navigate(`${LOGIN}?raison=expiree&suite=${encodeURIComponent(next)}`, { replace: true });
}

/** The user's first screen: the dashboard for staff, their portal for a customer or a partner. */
export function home() {
  const found = me && HOMES.find(([permission]) => me.permissions.includes(permission));
  return found ? found[1] : "/";
}

export function can(permission) {
  return permission === null || Boolean(me && me.permissions.includes(permission));
}

async function show() {
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  root.setAttribute("aria-busy", "true");
  try {
    if (PUBLIC[location.pathname]) {
      me = null;
      const [module, name] = PUBLIC[location.pathname];
      const screen = (await import(module))[name];
      document.title = "Connexion — Bassin";
      cleanup = screen.render(root, { navigate }) || null;
      return;
    }
    if (!currentSession()) {
      const next = location.pathname + location.search;
      navigate(next === "/" ? LOGIN : `${LOGIN}?suite=${encodeURIComponent(next)}`, { replace: true });
      return;
    }
    if (!me) me = await api("GET", "/ui/me");
    if (location.pathname === "/" && home() !== "/") {
      navigate(home(), { replace: true });
      return;
    }
    const entry = SCREENS.find((s) => s.path === location.pathname) || null;
    const main = layout(entry);
    if (!entry) {
      fill(main, el("h1", {}, "Page introuvable"), el("p", {}, "Cette adresse ne correspond à aucun écran. ", el("a", { href: "/", "data-link": true }, "Revenir au tableau de bord")));
      return;
    }
    if (!can(entry.requires)) {
      fill(main, el("h1", {}, entry.label), el("p", {}, "Votre rôle ne donne pas accès à cet écran. Un gérant peut vous l’ouvrir dans le tableau des permissions."));
      return;
    }
    const screen = (await import(entry.module)).default;
    document.title = `${entry.label} — Bassin`;
    cleanup = screen.render(main, { me, can, navigate, user: currentSession()?.user }) || null;
    // After a change of screen, the keyboard and screen readers start from its content
    // (unless the screen put the focus somewhere itself, as the till does).
    if (navigated && (!document.activeElement || document.activeElement === document.body)) main.focus({ preventScroll: true });
  } catch (error) {
    if (error instanceof SessionExpired) sessionExpired();
    else if (error instanceof ApiError) unreachable(error);
    else throw error;
  } finally {
    root.setAttribute("aria-busy", "false");
  }
}

/** Who the user is could not be read (the gateway or its database out of reach). */
function unreachable(error) {
  fill(
    root,
    el(
      "main",
      { id: "contenu", class: "login" },
      el("div", { class: "login-card" }, el("h1", {}, "Bassin ne répond pas"), notice("error", error.french), el("button", { type: "button", class: "primary", onclick: show }, "Réessayer")),
    ),
  );
}

function layout(current) {
  const user = currentSession()?.user || {};
  const shown = (s) =>
    can(s.requires) && !s.hidden && !(s.path === "/" && home() !== "/") &&
    (!s.navRoles || s.navRoles.some((role) => me?.roles.includes(role)));
  const links = SCREENS.filter(shown).map((s) =>
    el("li", {}, el("a", { href: s.path, "data-link": true, "aria-current": s === current ? "page" : null }, s.label)),
  );
  const main = el("main", { id: "contenu", tabindex: "-1" });
  fill(
    root,
    el(
      "header",
      { class: "topbar" },
      el("a", { class: "brand", href: home(), "data-link": true }, el("img", { src: "/ui/icon.svg", alt: "", width: 28, height: 28 }), "Bassin"),
      el("nav", { "aria-label": "Navigation principale" }, el("ul", {}, links)),
      can("read_business_data") ? customerSearch() : null,
      el(
        "div",
        { class: "who" },
        el("span", { class: "who-name" }, user.full_name || user.email || ""),
        el("button", { type: "button", class: "quiet", onclick: signOut }, "Se déconnecter"),
      ),
    ),
    main,
  );
  return main;
}

/** The header's customer search, on every page: Ctrl+K (or ⌘K) puts the focus there, Enter
 * shows the customers found. */
function customerSearch() {
  const input = el("input", { id: "recherche-globale", type: "search", autocomplete: "off", spellcheck: "false", placeholder: "Client…", "aria-keyshortcuts": "Control+K" });
  const submit = (event) => {
    event.preventDefault();
    navigate(`/clients?q=${encodeURIComponent(input.value.trim())}`);
  };
  return el(
    "form",
    { class: "quick-search", role: "search", onsubmit: submit },
    el("label", { for: "recherche-globale", class: "visually-hidden" }, "Rechercher un client (Ctrl+K)"),
    input,
    el("kbd", { "aria-hidden": "true" }, "Ctrl K"),
  );
}

document.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "k") {
    const input = document.getElementById("recherche-globale");
    if (!input) return;
    event.preventDefault();
    input.focus();
    input.select();
  }
});

async function signOut() {
  await logout();
  me = null;
  navigate(`${LOGIN}?raison=deconnexion`, { replace: true });
}

// Links inside the application change the screen without reloading the page.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-link]");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  navigate(link.getAttribute("href"));
});
window.addEventListener("popstate", () => {
  navigated = true;
  show();
});
// Logged out (or in as someone else) in another tab.
window.addEventListener("storage", (event) => {
  if (event.key === "bassin.session" && !event.newValue && location.pathname !== LOGIN) sessionExpired();
});
window.addEventListener("unhandledrejection", (event) => {
  if (event.reason instanceof SessionExpired) {
    event.preventDefault();
    sessionExpired();
  }
});

show();

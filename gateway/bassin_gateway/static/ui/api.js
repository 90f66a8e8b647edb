// The JSON API under /api/v1, called with the user's bearer token (ADR 0026), and the
// session: tokens kept in localStorage (every tab shares them), refreshed under a Web Lock
// so that two tabs never spend the same refresh token (ADR 0009 revokes the session then).

const KEY = "bassin.session";
const MARGIN_MS = 20_000; // refresh an access token this long before it expires

export class ApiError extends Error {
  /** ``status`` 0: no answer (network). ``errors``: {field: [messages]} (problem+json). */
  constructor(status, problem = {}, retryAfter = null) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.errors = problem.errors || {};
    this.retryAfter = retryAfter;
  }

  /** What to tell the user, in French. */
  get french() {
    return frenchStatus(this.status, this.retryAfter, this.problem);
  }
}

export class SessionExpired extends Error {}

export function currentSession() {
  try {
    return JSON.parse(localStorage.getItem(KEY));
  } catch {
    return null;
  }
}

function keep(answer) {
  const session = {
    access_token: answer.access_token,
    refresh_token: answer.refresh_token,
    expires_at: Date.now() + answer.expires_in * 1000,
    user: answer.user,
  };
  localStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

/** A manufacturer's API key (bassin_pk_…) kept as the session: it does not expire and
 * has no refresh token; the gateway revokes it when the company does. */
export function keepApiKey(key, brand) {
  const session = { access_token: key, refresh_token: null, expires_at: Date.now() + 3650 * 86_400_000, user: { full_name: brand } };
  localStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

export function forgetSession() {
  localStorage.removeItem(KEY);
}

/** Log in: the session kept, or an ApiError (401 wrong credentials, 422, 429). */
export async function login(email, password) {
  const response = await send("POST", "/api/v1/auth/login", { body: { email, password } });
  return keep(response);
}

/** A call open to anyone (the /auth pages): the answer's JSON, or ApiError. */
export function publicCall(method, path, body) {
  return send(method, path, { body });
}

/** End the session on the server (its access tokens stop at once) and here. */
export async function logout() {
  const session = currentSession();
  forgetSession();
  if (session && session.refresh_token) {
    try {
      await send("POST", "/api/v1/auth/logout", { body: { refresh_token: session.refresh_token } });
    } catch {
      // Already over, or the server out of reach: this browser has forgotten it anyway.
    }
  }
}

/** A session whose access token is good for a while: refreshed if needed (SessionExpired
 * when it cannot be). */
async function freshSession(force = false) {
  const seen = currentSession();
  if (!seen) throw new SessionExpired();
  if (!force && seen.expires_at - Date.now() > MARGIN_MS) return seen;
  const renew = async () => {
    const now = currentSession(); // another tab may have refreshed while we waited
    if (!now) return null;
    if (!now.refresh_token) {
      forgetSession(); // an API key refused: revoked, nothing to refresh
      return null;
    }
    if (now.access_token !== seen.access_token && now.expires_at - Date.now() > MARGIN_MS) return now;
    try {
      return keep(await send("POST", "/api/v1/auth/refresh", { body: { refresh_token: now.refresh_token } }));
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        forgetSession();
        return null;
      }
      // The server out of reach: keep the session and try again later. With no network at all
      // the old token goes with the request (the technician's phone answers it from its cache).
      if (error instanceof ApiError && error.status === 0) return now;
      throw error;
    }
  };
  // Web Locks exist in secure contexts (HTTPS, localhost); elsewhere one tab at a time is assumed.
  const session = navigator.locks ? await navigator.locks.request("bassin-refresh", renew) : await renew();
  if (!session) throw new SessionExpired();
  return session;
}

/** An authenticated call: the answer's JSON (null for 204), ApiError, or SessionExpired.
 * Options: ``query``, ``body``, ``idempotencyKey`` (money and stock writes), ``ifMatch``
 * (an update: the ETag it was made from), ``withEtag`` (answer ``{data, etag}``). */
export async function api(method, path, options = {}) {
  let session = await freshSession();
  try {
    return await send(method, path, { ...options, token: session.access_token });
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
    session = await freshSession(true); // revoked or expired early: one refresh, then give up
    return send(method, path, { ...options, token: session.access_token });
  }
}

/** Every page of a list (``{items, next}``), at most ``maxPages``. */
export async function everyPage(path, query = {}, maxPages = 50) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < maxPages; page += 1) {
    const answer = await api("GET", path, { query: { ...query, limit: 200, ...(cursor ? { cursor } : {}) } });
    items.push(...answer.items);
    cursor = answer.next;
    if (!cursor) return { items, complete: true };
  }
  return { items, complete: false };
}

async function send(method, path, { body, query, token, idempotencyKey, ifMatch, withEtag } = {}) {
  const url = query ? `${path}?${new URLSearchParams(query)}` : path;
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  if (ifMatch) headers["If-Match"] = ifMatch;
  let response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0);
  }
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  const answer = type.includes("json") ? await response.json().catch(() => ({})) : {};
  if (!response.ok) throw new ApiError(response.status, answer, response.headers.get("Retry-After"));
  return withEtag ? { data: answer, etag: response.headers.get("ETag") } : answer;
}

/** A new UUID (for Idempotency-Key), also outside secure contexts. */
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function frenchStatus(status, retryAfter, problem) {
  const wait = retryAfter ? ` dans ${retryAfter}\u00a0s` : " dans quelques secondes";
  switch (status) {
    case 0:
      return "Le serveur Bassin ne répond pas. Vérifiez la connexion du poste, puis réessayez.";
    case 401:
      return "Votre session a expiré. Reconnectez-vous.";
    case 403:
      return "Votre rôle ne permet pas cette action. Demandez-la à un gérant.";
    case 404:
      return "Introuvable : la fiche a peut-être été supprimée.";
    case 409:
    case 412:
      return "Quelqu’un l’a modifié entre-temps : rechargez la page, puis refaites la modification.";
    case 422:
      return "Certaines valeurs sont refusées : corrigez les champs signalés.";
    case 429:
      return `Trop de tentatives. Réessayez${wait}.`;
    case 503:
    case 504:
      return `Un service de Bassin est momentanément indisponible : rien n’a été enregistré. Réessayez${wait}.`;
    default:
      return `Erreur inattendue (${status}${problem.correlation_id ? `, référence ${problem.correlation_id}` : ""}). Réessayez ; si elle persiste, signalez-la avec cette référence.`;
  }
}

// The API's messages (English) for a field, as a user reads them.
const MESSAGES = [
  [/^Missing data for required field/, "Champ obligatoire."],
  [/^Not a valid email/, "Adresse e-mail invalide."],
  [/^Field may not be null/, "Champ obligatoire."],
  [/^Unknown field/, "Champ inconnu."],
  [/^unknown article/, "Article inconnu de la caisse."],
  [/^several shops/, "Plusieurs magasins : choisissez celui de cette caisse."],
  [/^no shop is set up yet/, "Aucun magasin n’est encore créé : créez un emplacement de type magasin."],
  [/^unknown shop/, "Magasin inconnu."],
  [/^payments add up to/, "Les paiements ne correspondent pas au total de la vente."],
  [/^Length must be between|^Shorter than|^Longer than/, "Longueur incorrecte (10 caractères au moins pour un mot de passe)."],
  [/^Must be greater than or equal to/, "Valeur trop petite."],
  [/^Must be less than or equal to/, "Valeur trop grande."],
  [/^Not a valid integer/, "Un nombre entier, sans virgule."],
  [/^must be zero or more/, "Zéro ou plus."],
  [/^must be at least the minimum/, "Au moins le minimum (ou 0 pour ne pas gérer ce stock)."],
];

/** The API's messages for a field, in French (the original kept when unknown). */
export function frenchMessages(messages) {
  const list = Array.isArray(messages) ? messages : typeof messages === "object" ? Object.values(messages).flat() : [messages];
  return list
    .map((message) => {
      const known = MESSAGES.find(([pattern]) => pattern.test(String(message)));
      return known ? known[1] : `Valeur refusée (${message}).`;
    })
    .join(" ");
}

// The outbox (ADR 0027): every action of the technician is queued here, in IndexedDB, with its
// own Idempotency-Key made when it is queued — never when it is sent — so that sending it again
// (the answer lost in a garden, the queue sent twice) is applied once by the server. The
// actions are sent in the order they were made, when the network is back.
//
// A report carries If-Match: the version of the intervention this phone last saw. If the
// office changed the intervention meanwhile, the server answers 412: the action becomes a
// conflict, kept with the office's version beside it, and the visit's later actions (photos,
// signature) wait until the technician chooses — nothing is lost, nothing overwrites blindly.

import { api, ApiError, newKey, SessionExpired } from "../api.js";
import { all, ETAGS, get, OUTBOX, put, remove } from "./store.js";

export const PENDING = "pending";
export const SENT = "sent";
export const CONFLICT = "conflict";
export const REFUSED = "refused";
export const DROPPED = "dropped";

const KEPT_MS = 24 * 3600 * 1000; // what was sent (or set aside) stays a day: then forgotten
const listeners = new Set();
let flushing = null;
export const state = { lastError: null, sessionExpired: false };

/** ``listener()`` is called whenever the outbox changes (to redraw the indicator). */
export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function changed() {
  for (const listener of listeners) listener();
}

/** Queue an action: {kind, label, method, path, body, intervention_id, versioned}. A report
 * replaces the visit's report still waiting and never tried (one save is enough). */
export async function enqueue(action) {
  const entries = await all(OUTBOX);
  if (action.kind === "report") {
    const waiting = entries.find((e) => e.kind === "report" && e.intervention_id === action.intervention_id && e.status === PENDING && !e.attempted);
    if (waiting) {
      await put(OUTBOX, { ...waiting, body: action.body, label: action.label, queued_at: new Date().toISOString() });
      changed();
      return waiting;
    }
  }
  const entry = { ...action, key: newKey(), status: PENDING, attempted: false, queued_at: new Date().toISOString() };
  entry.seq = await put(OUTBOX, entry);
  changed();
  return entry;
}

/** Forget what was sent or set aside more than a day ago (photos weigh on the phone). */
export async function prune(now = Date.now()) {
  for (const entry of await all(OUTBOX)) {
    const done = entry.status === SENT || entry.status === DROPPED;
    if (done && now - Date.parse(entry.sent_at || entry.queued_at) > KEPT_MS) await remove(OUTBOX, entry.seq);
  }
}

export async function entries() {
  return (await all(OUTBOX)).sort((a, b) => a.seq - b.seq);
}

export async function summary() {
  const list = await entries();
  return {
    waiting: list.filter((e) => e.status === PENDING).length,
    conflicts: list.filter((e) => e.status === CONFLICT),
    refused: list.filter((e) => e.status === REFUSED),
  };
}

/** Send what waits, in order; resolves when done or when the network is gone again. */
export function flush() {
  if (!flushing) {
    flushing = sendAll().finally(() => {
      flushing = null;
      changed();
    });
  }
  return flushing;
}

async function sendAll() {
  if (!navigator.onLine) return;
  state.lastError = null;
  for (const entry of await entries()) {
    if (entry.status !== PENDING) continue;
    const blocked = (await entries()).some((e) => e.intervention_id === entry.intervention_id && e.status === CONFLICT && e.seq < entry.seq);
    if (blocked) continue; // after a conflict of its visit: waits for the technician's choice
    const go = await send(entry);
    changed();
    if (!go) return;
  }
}

/** Send one action; false: stop here (no network, server busy, session over). */
async function send(entry) {
  if (entry.versioned && !entry.attempted) entry.ifMatch = await get(ETAGS, entry.intervention_id);
  entry.attempted = true; // from now on its key and If-Match are frozen: a resend is the same request
  await put(OUTBOX, entry);
  try {
    const answer = await api(entry.method, entry.path, { body: entry.body, idempotencyKey: entry.key, ifMatch: entry.ifMatch, withEtag: true });
    if (answer.etag && entry.intervention_id) await put(ETAGS, answer.etag, entry.intervention_id);
    await put(OUTBOX, { ...entry, status: SENT, sent_at: new Date().toISOString(), answer_status: answer.data?.status || null });
    state.sessionExpired = false;
    return true;
  } catch (error) {
    if (error instanceof SessionExpired) {
      state.sessionExpired = true;
      return false;
    }
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 0 || error.status === 429 || error.status >= 500) {
      state.lastError = error.french;
      return false; // kept as it is: sent again, with the same key, when the network is back
    }
    if (error.status === 412 || error.status === 409) {
      await put(OUTBOX, { ...entry, status: CONFLICT, problem: error.problem.detail || null, office: await officeVersion(entry) });
      return true;
    }
    await put(OUTBOX, { ...entry, status: REFUSED, problem: error.problem.detail || null, errors: error.errors });
    return true;
  }
}

/** The intervention as the office left it, to show beside the technician's (null offline). */
async function officeVersion(entry) {
  if (!entry.intervention_id) return null;
  try {
    const { data, etag } = await api("GET", `/api/v1/sav/interventions/${entry.intervention_id}`, { withEtag: true });
    return { etag, report: data.report, checklist: data.checklist, status: data.status, labour_minutes: data.labour_minutes };
  } catch {
    return null;
  }
}

/** The technician keeps their version: sent again from the office's version (new key). */
export async function keepMine(entry) {
  if (entry.office?.etag) await put(ETAGS, entry.office.etag, entry.intervention_id);
  await put(OUTBOX, { ...entry, status: PENDING, attempted: false, key: newKey(), ifMatch: undefined, office: null, problem: null });
  changed();
  return flush();
}

/** The technician takes the office's version: their action is set aside (kept, not sent). */
export async function takeOffice(entry) {
  if (entry.office?.etag) await put(ETAGS, entry.office.etag, entry.intervention_id);
  await put(OUTBOX, { ...entry, status: DROPPED });
  if (entry.kind === "report") {
    // The customer signed what the technician wrote, not the office's version: that
    // signature is set aside too, and the customer signs again.
    for (const later of await entries()) {
      const same = later.intervention_id === entry.intervention_id && later.seq > entry.seq;
      if (same && later.kind === "signature" && later.status === PENDING) await put(OUTBOX, { ...later, status: DROPPED });
    }
  }
  changed();
  return flush();
}

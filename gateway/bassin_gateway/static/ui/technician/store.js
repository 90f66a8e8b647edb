// The phone's own copy (ADR 0027), in IndexedDB: the day downloaded in the morning, what the
// technician has entered on each visit (drafts), the actions waiting to be sent (the outbox),
// and the last version (ETag) of each intervention this phone knows. Everything the
// technician does is written here first; the network comes after.

const NAME = "bassin-technicien";
const VERSION = 1;
export const DAYS = "days"; // key: `${technician_id}/${date}` → the technician-day answer
export const DRAFTS = "drafts"; // key: intervention id → what was entered on the visit
export const OUTBOX = "outbox"; // auto-increment: the actions to send, in order
export const ETAGS = "etags"; // key: intervention id → the ETag the phone last saw

let opened = null;

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export function database() {
  if (!opened) {
    const req = indexedDB.open(NAME, VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      for (const store of [DAYS, DRAFTS, ETAGS]) if (!db.objectStoreNames.contains(store)) db.createObjectStore(store);
      if (!db.objectStoreNames.contains(OUTBOX)) db.createObjectStore(OUTBOX, { keyPath: "seq", autoIncrement: true });
    };
    opened = request(req);
  }
  return opened;
}

async function run(store, mode, work) {
  const db = await database();
  const tx = db.transaction(store, mode);
  const done = new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
  const result = await work(tx.objectStore(store));
  await done;
  return result;
}

export const get = (store, key) => run(store, "readonly", (s) => request(s.get(key)));
export const put = (store, value, key) => run(store, "readwrite", (s) => request(key === undefined ? s.put(value) : s.put(value, key)));
export const remove = (store, key) => run(store, "readwrite", (s) => request(s.delete(key)));
export const all = (store) => run(store, "readonly", (s) => request(s.getAll()));

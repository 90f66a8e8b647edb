// The technician phone's service worker (ADR 0027), served at /technicien-sw.js with the scope
// /technicien. The gateway writes VERSION (a hash of the shell's files) and SHELL when it
// serves this file: any change to a file of the shell changes this script, so the browser
// installs the new worker, which caches the new shell and deletes the old one.
//
// - the app shell (the page, its modules, the stylesheet, the icon, the manifest): cached at
//   install, answered from the cache (it is exactly this version's);
// - the day's data (the technician-day aggregate, who the user is, the technicians list):
//   the network first, the cache when the network does not answer (a reload in a garden);
// - everything else, and every write, goes to the network untouched: writes are queued by
//   the page itself (IndexedDB, with their Idempotency-Key), never replayed from here.

const VERSION = "__VERSION__";
const SHELL = __SHELL__;
const PREFIX = "bassin-technicien-shell-";
const SHELL_CACHE = `${PREFIX}${VERSION}`;
const DATA_CACHE = "bassin-technicien-data";
const DATA = [/^\/api\/v1\/technician-days\//, /^\/ui\/me$/, /^\/api\/v1\/sav\/technicians$/];
const NETWORK_WAIT_MS = 8000; // one bar of signal: after this, the cached copy

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(SHELL_CACHE)
      .then((cache) => cache.addAll(SHELL.map((path) => new Request(path, { cache: "reload" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== SHELL_CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate" || SHELL.includes(url.pathname)) {
    const key = request.mode === "navigate" ? "/technicien" : url.pathname;
    event.respondWith(fromShell(key, request));
  } else if (DATA.some((pattern) => pattern.test(url.pathname))) {
    event.respondWith(networkThenCache(request));
  }
});

async function fromShell(key, request) {
  const cache = await caches.open(SHELL_CACHE);
  return (await cache.match(key, { ignoreSearch: true })) || fetch(request);
}

async function networkThenCache(request) {
  const cache = await caches.open(DATA_CACHE);
  try {
    const response = await withTimeout(fetch(request), NETWORK_WAIT_MS);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(request, { ignoreVary: true });
    if (cached) return cached;
    throw error;
  }
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no answer in time")), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

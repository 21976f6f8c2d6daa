/* The audit workspace's service worker (docs/adr/0006-offline-audit-sync.md).
 *
 * It caches the shell only: the page, its CSS, JS, fonts, icons and the JavaScript catalogue.
 * Prepared audits and unsent work live in IndexedDB, which this worker never touches, so
 * replacing this cache (a new release) never loses them. A new worker waits until the page
 * tells it to take over (the auditor taps "Update" while nothing is sending).
 */
const VERSION = "{{ version }}";
const CACHE = "ims-workspace-shell-" + VERSION;
const SHELL_URL = "{{ shell_url }}";
const CATALOG_URL = "{{ catalog_url }}";
const STATIC_PREFIX = "{{ static_prefix }}";
const PRECACHE = {{ urls_json|safe }};
const NETWORK_TIMEOUT_MS = 3000;

self.addEventListener("install", (event) => {
  // A new worker does not skip waiting: it waits until the auditor chooses to update.
  event.waitUntil(
    caches.open(CACHE).then((cache) =>
      Promise.all(
        PRECACHE.map((url) =>
          fetch(new Request(url, { cache: "reload", credentials: "same-origin" })).then((response) => {
            if (!response.ok || response.redirected) throw new Error("not cached: " + url);
            return cache.put(url, response);
          })
        )
      )
    )
  );
});

self.addEventListener("activate", (event) => {
  // Drop older shell caches only; IndexedDB (audits and the outbox) is not touched.
  event.waitUntil(
    caches.keys().then((keys) =>
      Promise.all(
        keys
          .filter((key) => key.startsWith("ims-workspace-shell-") && key !== CACHE)
          .map((key) => caches.delete(key))
      )
    )
  );
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "skipWaiting") self.skipWaiting();
  if (event.data && event.data.type === "version" && event.ports[0]) event.ports[0].postMessage(VERSION);
});

function cacheKey(request) {
  const url = new URL(request.url);
  if (request.mode === "navigate" && url.pathname === SHELL_URL) return SHELL_URL;
  return url.pathname;
}

function isShellRequest(request) {
  if (request.method !== "GET") return false;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return false;
  if (url.pathname === SHELL_URL || url.pathname === CATALOG_URL) return true;
  return url.pathname.startsWith(STATIC_PREFIX);
}

// Network first, with a timeout: a slow network answers from the device after a few seconds.
// A good answer refreshes the cache; an error, a redirect (signed out) or no answer falls back
// to the cached copy, and to the network's answer only when nothing is cached.
async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  const key = cacheKey(request);
  const network = fetch(request).then(async (response) => {
    if (response.ok && !response.redirected && response.type === "basic") {
      await cache.put(key, response.clone());
    }
    return response;
  });
  network.catch(() => null); // a failure is handled below; keep it from being reported twice
  const timeout = new Promise((resolve) => setTimeout(() => resolve(null), NETWORK_TIMEOUT_MS));
  let response = null;
  try {
    response = await Promise.race([network, timeout]);
  } catch (error) {
    response = null;
  }
  if (response && response.ok && !response.redirected) return response;
  const cached = await cache.match(key);
  if (cached) return cached;
  if (response) return response;
  return network; // nothing cached: wait for the network (or its error)
}

self.addEventListener("fetch", (event) => {
  // API calls (and everything else) go straight to the network: the page keeps API data in
  // IndexedDB and decides itself what to do when a request fails.
  if (isShellRequest(event.request)) event.respondWith(networkFirst(event.request));
});

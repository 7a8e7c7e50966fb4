/* The field app's service worker (served at /sw.js, rendered by traceability/offline/views.py).

   - The shell (stylesheet, scripts, icons, the "no network" page) is kept at install, the same for
     everyone.
   - Pages the server marks with X-Offline-Scope are kept in a cache of that scope (one member in one
     organisation) when they are opened or warmed online, and served from it when the network fails.
     A page of another scope replaces the cache; the page scripts empty it at logout.
   - The JSON API is never cached: writes go through the outbox (outbox.js), which this worker also
     sends on a Background Sync event.
*/
"use strict";
importScripts({{ outbox_js|tojson }} + "?v={{ version }}");

const VERSION = "{{ version }}";
const SHELL = "shell-" + VERSION;
const ASSETS = {{ assets|tojson }};
const OFFLINE_PAGE = ASSETS[ASSETS.length - 1];
const META = "meta";
const WAIT_FOR_NETWORK_MS = 6000; // a weak signal: after this, the kept page, and the network's answer kept for next time
const WARM_EVERY_MS = 5 * 60 * 1000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(SHELL)
      .then((cache) => cache.addAll(ASSETS.map((url) => new Request(url, { credentials: "omit" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("shell-") && k !== SHELL).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (ASSETS.includes(url.pathname)) {
    event.respondWith(caches.match(url.pathname, { cacheName: SHELL }).then((hit) => hit || fetch(request)));
  } else if (request.mode === "navigate") {
    event.respondWith(page(event));
  }
});

async function page(event) {
  const request = event.request;
  const fromNetwork = fetch(request).then(async (response) => {
    await keep(request.url, response.clone());
    return response;
  });
  event.waitUntil(fromNetwork.catch(() => null));
  try {
    return await Promise.race([fromNetwork, timeout(WAIT_FOR_NETWORK_MS)]);
  } catch (failed) {
    const kept = await keptPage(request.url);
    if (kept) return kept;
    if (failed === "timeout") return fromNetwork.catch(offlinePage);
    return offlinePage();
  }
}

function timeout(ms) {
  return new Promise((resolve, reject) => setTimeout(() => reject("timeout"), ms));
}

async function offlinePage() {
  return (await caches.match(OFFLINE_PAGE, { cacheName: SHELL })) || Response.error();
}

/* A page kept under its path alone: /inputs/new?planting=5 opens the kept form, which reads its query. */
function pathOf(url) {
  return new URL(url, self.location.href).pathname;
}

async function keep(url, response) {
  const scope = response.headers.get("X-Offline-Scope");
  if (!response.ok || !scope || response.redirected) return;
  if (scope !== (await currentScope())) await setScope(scope);
  await (await caches.open("pages-" + scope)).put(pathOf(url), response);
}

async function keptPage(url) {
  const scope = await currentScope();
  if (!scope) return null;
  return (await caches.open("pages-" + scope)).match(pathOf(url));
}

async function currentScope() {
  const hit = await (await caches.open(META)).match("/__offline/scope");
  return hit ? hit.text() : null;
}

/* One member's pages at a time: another scope (another member, another organisation) empties the old. */
async function setScope(scope) {
  const keys = await caches.keys();
  await Promise.all(keys.filter((k) => k.startsWith("pages-") && k !== "pages-" + scope).map((k) => caches.delete(k)));
  const meta = await caches.open(META);
  if (scope) await meta.put("/__offline/scope", new Response(scope));
  else await meta.delete("/__offline/scope");
  await meta.delete("/__offline/warmed");
}

async function warm(scope, urls, force) {
  const meta = await caches.open(META);
  const last = await meta.match("/__offline/warmed");
  if (!force && last && (await currentScope()) === scope && Date.now() - Number(await last.text()) < WARM_EVERY_MS) return;
  for (const url of urls) {
    try {
      await keep(url, await fetch(url, { credentials: "same-origin" }));
    } catch (offline) {
      return; // the signal went: what is kept stays
    }
  }
  await meta.put("/__offline/warmed", new Response(String(Date.now())));
}

self.addEventListener("message", (event) => {
  const message = event.data || {};
  if (message.type === "warm") event.waitUntil(warm(message.scope, message.urls, message.force));
  if (message.type === "forget") event.waitUntil(setScope(null));
});

self.addEventListener("sync", (event) => {
  if (!event.tag.startsWith("outbox-")) return;
  const scope = event.tag.slice("outbox-".length);
  event.waitUntil(
    Outbox.sync(scope).then(async (result) => {
      for (const client of await self.clients.matchAll()) client.postMessage({ type: "outbox", result });
      if (result.offline) throw new Error("offline"); // the browser tries again later
    }),
  );
});

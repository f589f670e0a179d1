/* gwmap field page service worker: the page and today's stops open with no network.
 *
 * The app's files are cached when the worker installs; pages and files are fetched fresh when the
 * network answers (so an update reaches the phone on its next visit online) and served from the cache
 * when it does not.  Today's stops (GET /api/gwmap/field/today) are kept from the last answer that
 * succeeded.  Nothing else is touched: inspections (POST) are queued by the page itself in IndexedDB,
 * never by this worker, and no other API answer is ever cached.
 */
'use strict';
const CACHE = 'gwmap-field-v1';
const SHELL = [
  '/field/',
  '/field/manifest.webmanifest',
  '/field/static/field/app.js',
  '/field/static/field/field.css',
  '/field/static/field/icon-192.png',
  '/field/static/vendor/leaflet/leaflet.js',
  '/field/static/vendor/leaflet/leaflet.css',
];
const TODAY = '/api/gwmap/field/today';

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith('gwmap-field-') && n !== CACHE)
      .map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

async function networkFirst(request, keep) {
  const cache = await caches.open(CACHE);
  try {
    const answer = await fetch(request);
    if (keep(answer)) await cache.put(request, answer.clone());
    return answer;
  } catch (err) {
    const kept = await cache.match(request, { ignoreSearch: true });
    if (!kept) throw err;
    // say that this answer is the kept copy, so that the page can tell the officer it is offline
    const headers = new Headers(kept.headers);
    headers.set('x-gwmap-offline', '1');
    return new Response(await kept.blob(), { status: kept.status, statusText: kept.statusText, headers });
  }
}

self.addEventListener('message', (event) => {
  // the page signs out: today's stops of that officer must not outlive the session on a shared phone
  if (event.data === 'signed-out') caches.open(CACHE).then((c) => c.delete(TODAY));
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === TODAY) {
    event.respondWith(networkFirst(request, (a) => a.status === 200));
  } else if (url.pathname === '/field' || url.pathname.startsWith('/field/')) {
    event.respondWith(networkFirst(request, (a) => a.ok && a.type === 'basic'));
  }
});

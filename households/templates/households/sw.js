/* Service worker of the visit log: keeps the page and its assets so the page opens without a connection.
 * API calls are never cached here: the page keeps its data in IndexedDB. The copy of the page names its member
 * and team, so logout_guard.js deletes it (and the households in IndexedDB) when the member logs out. */
"use strict";
var CACHE = "cnscd-visit-log-{{ version }}";
var PAGE = "/visits/log/";
var ASSETS = {{ assets_json|safe }};

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      var statics = ASSETS.filter(function (url) { return url !== PAGE; });
      return cache.addAll(statics).then(function () {
        return fetch(PAGE, { credentials: "same-origin" }).then(function (response) {
          if (response.ok && !response.redirected) return cache.put(PAGE, response);
          return null;
        }).catch(function () { return null; });
      });
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf("cnscd-visit-log-") === 0 && k !== CACHE; })
        .map(function (k) { return caches.delete(k); }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.indexOf("/api/") === 0) return;
  if (url.pathname === PAGE) {
    // Network first (fresh page, fresh CSRF token), the cached copy when offline.
    event.respondWith(
      fetch(request).then(function (response) {
        if (response.ok && !response.redirected) {
          var copy = response.clone();
          caches.open(CACHE).then(function (cache) { cache.put(PAGE, copy); });
        }
        return response;
      }).catch(function () {
        return caches.match(PAGE).then(function (hit) { return hit || Response.error(); });
      })
    );
    return;
  }
  if (ASSETS.indexOf(url.pathname) >= 0) {
    event.respondWith(
      caches.match(request, { ignoreSearch: true }).then(function (hit) {
        return hit || fetch(request).then(function (response) {
          if (response.ok) {
            var copy = response.clone();
            caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
          }
          return response;
        });
      })
    );
  }
});

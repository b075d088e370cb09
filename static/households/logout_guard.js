/* A shared phone forgets the households when its user leaves. Loaded on every page (the logout form is on every
 * page) and on the login page.
 *
 * Logging out: first warns while visits wait to sync — it counts the user's waiting visits in the visit log's
 * IndexedDB queue (database "cnscd-visit-log", store "queue", rows tagged with the username and status
 * "pending": see visit_log.js) — then, before the form is posted, removes what holds other people's personal
 * data: the households store, the cached recent visits and team figures ("meta"), the visits already synced
 * (their labels name households) and the service worker's copy of the visit log page. Visits not yet accepted
 * by the server (waiting, or refused and still to be read) stay, with their member's name.
 *
 * Logging in: a session may end by expiry, with no logout; so when someone other than the user the households
 * were cached for logs in, the same things are removed before the login form is posted.
 *
 * The database is never created here: when this phone never opened the visit log it does not exist.
 */
(function () {
  "use strict";

  var DB = "cnscd-visit-log";
  var PAGE = "/visits/log/";
  var logoutForm = document.querySelector("form.logout");
  var loginForm = document.querySelector("form[data-login]");
  if ((!logoutForm && !loginForm) || window.cnscdForget) return;  // nothing to guard, or loaded twice

  // Storage that never answers must not keep anyone logged in, nor out.
  function withTimeout(promise, fallback) {
    return new Promise(function (resolve) {
      var timer = setTimeout(function () { resolve(fallback); }, 5000);
      promise.then(function (v) { clearTimeout(timer); resolve(v); }, function () { clearTimeout(timer); resolve(fallback); });
    });
  }

  // The visit log's database if it exists, else null (never created here).
  function openExisting() {
    return new Promise(function (resolve) {
      if (!window.indexedDB) { resolve(null); return; }
      var req;
      try { req = indexedDB.open(DB); } catch (e) { resolve(null); return; }
      req.onupgradeneeded = function () {
        // The database does not exist yet (no version): abort, so that opening it here does not create it.
        req.transaction.abort();
      };
      req.onerror = function (event) { if (event && event.preventDefault) event.preventDefault(); resolve(null); };
      req.onblocked = function () { resolve(null); };
      req.onsuccess = function () {
        var db = req.result;
        db.onversionchange = function () { db.close(); };
        resolve(db);
      };
    });
  }

  function waitingVisits(user) {
    return withTimeout(openExisting().then(function (db) {
      if (!db) return 0;
      if (!db.objectStoreNames.contains("queue")) { db.close(); return 0; }
      return new Promise(function (resolve) {
        var all = db.transaction("queue", "readonly").objectStore("queue").getAll();
        all.onsuccess = function () {
          db.close();
          resolve(all.result.filter(function (r) { return r.user === user && r.status === "pending"; }).length);
        };
        all.onerror = function () { db.close(); resolve(0); };
      });
    }), 0);
  }

  // The username the households were cached for ("" when none is recorded).
  function cachedFor() {
    return withTimeout(openExisting().then(function (db) {
      if (!db) return null;
      if (!db.objectStoreNames.contains("meta")) { db.close(); return ""; }
      return new Promise(function (resolve) {
        var get = db.transaction("meta", "readonly").objectStore("meta").get("user");
        get.onsuccess = function () { db.close(); resolve(get.result ? String(get.result.value) : ""); };
        get.onerror = function () { db.close(); resolve(""); };
      });
    }), "");
  }

  function forgetStores() {
    return openExisting().then(function (db) {
      if (!db) return null;
      var names = ["households", "meta", "queue"].filter(function (n) { return db.objectStoreNames.contains(n); });
      if (!names.length) { db.close(); return null; }
      return new Promise(function (resolve) {
        var t = db.transaction(names, "readwrite");
        if (names.indexOf("households") >= 0) t.objectStore("households").clear();
        if (names.indexOf("meta") >= 0) {
          var meta = t.objectStore("meta");
          meta.getAllKeys().onsuccess = function (event) {
            event.target.result.forEach(function (key) { if (key !== "types") meta.delete(key); });  // the catalogue names nobody
          };
        }
        if (names.indexOf("queue") >= 0) {
          var queue = t.objectStore("queue");
          queue.getAll().onsuccess = function (event) {
            event.target.result.forEach(function (row) {
              if (row.status === "created" || row.status === "duplicate") queue.delete(row.client_uuid);  // on the server
            });
          };
        }
        t.oncomplete = function () { db.close(); resolve(null); };
        t.onerror = t.onabort = function () { db.close(); resolve(null); };
      });
    });
  }

  function forgetPages() {
    if (!window.caches) return Promise.resolve(null);
    return caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf("cnscd-visit-log-") === 0; }).map(function (k) {
        return caches.open(k).then(function (cache) { return cache.delete(PAGE); });
      }));
    });
  }

  // Remove the personal data kept for the visit log; resolves once done (or after the timeout).
  function forget() {
    return withTimeout(Promise.all([forgetStores(), forgetPages()]), null);
  }
  window.cnscdForget = forget;  // for the tests and the console; nothing else calls it

  if (logoutForm) {
    var busy = false;
    var user = logoutForm.dataset.user;
    logoutForm.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) return;
      busy = true;
      waitingVisits(user).then(function (n) {
        if (n > 0 && !window.confirm(logoutForm.dataset.warn.replace("%(n)s", String(n)))) { busy = false; return; }
        forget().then(function () { logoutForm.submit(); });  // submit() fires no submit event, so no second count
      });
    });
  }

  if (loginForm) {
    var sending = false;
    loginForm.addEventListener("submit", function (event) {
      if (sending) return;
      event.preventDefault();
      var entered = (loginForm.querySelector("input[name=username]").value || "").trim().toLowerCase();
      cachedFor().then(function (owner) {
        return owner !== null && owner.toLowerCase() !== entered ? forget() : null;
      }).then(function () { sending = true; loginForm.submit(); });
    });
  }
})();

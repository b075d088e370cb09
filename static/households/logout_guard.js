/* Warn before logging out while visits wait to sync — on every page, since the logout form is on every page.
 * Counts the user's waiting visits in the visit log's IndexedDB queue (database "cnscd-visit-log", store
 * "queue", rows tagged with the username and status "pending": see visit_log.js). The database is only read:
 * when this phone never opened the visit log it does not exist, and it is not created here.
 */
(function () {
  "use strict";

  var form = document.querySelector("form.logout");
  if (!form || !window.indexedDB) return;
  var USER = form.dataset.user;
  var WARN = form.dataset.warn;
  var busy = false;

  function waitingVisits() {
    return new Promise(function (resolve) {
      setTimeout(function () { resolve(0); }, 5000);  // storage that never answers must not keep anyone logged in
      var req;
      try { req = indexedDB.open("cnscd-visit-log"); } catch (e) { resolve(0); return; }
      req.onupgradeneeded = function () {
        // The database does not exist yet (no version): abort, so that opening it here does not create it.
        req.transaction.abort();
      };
      req.onerror = function (event) { if (event && event.preventDefault) event.preventDefault(); resolve(0); };
      req.onblocked = function () { resolve(0); };
      req.onsuccess = function () {
        var db = req.result;
        db.onversionchange = function () { db.close(); };
        if (!db.objectStoreNames.contains("queue")) { db.close(); resolve(0); return; }
        var all = db.transaction("queue", "readonly").objectStore("queue").getAll();
        all.onsuccess = function () {
          db.close();
          resolve(all.result.filter(function (r) { return r.user === USER && r.status === "pending"; }).length);
        };
        all.onerror = function () { db.close(); resolve(0); };
      };
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) return;
    busy = true;
    waitingVisits().then(function (n) {
      busy = false;
      if (n > 0 && !window.confirm(WARN.replace("%(n)s", String(n)))) return;
      form.submit();  // fires no submit event, so no second count
    });
  });
})();

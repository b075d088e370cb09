/* Log a visit — the team member's main screen. Works offline:
 * - the page and its assets are cached by the service worker (/sw.js);
 * - households and the activity catalogue are kept in IndexedDB and searched here, on the phone;
 * - every visit is first written to an IndexedDB queue with its client_uuid, then sent with
 *   POST /api/v1/visits/bulk/ whenever the connection allows. The server stores each client_uuid once,
 *   so sending again after a lost answer is harmless. Nothing is dropped silently: refused visits stay
 *   listed with the reason until the member removes them, and waiting visits can be saved to a file.
 */
(function () {
  "use strict";

  var root = document.getElementById("visit-log");
  if (!root) return;
  var T = JSON.parse(document.getElementById("vl-strings").textContent);
  var D = root.dataset;
  var USER = D.user;
  var state = { households: [], types: [], typeNames: {}, chosen: null, quantities: {}, syncing: false };

  function $(id) { return document.getElementById(id); }
  function fmt(text, n) { return text.replace("%(n)s", String(n)); }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function today() {
    var d = new Date();
    var m = String(d.getMonth() + 1).padStart(2, "0");
    return d.getFullYear() + "-" + m + "-" + String(d.getDate()).padStart(2, "0");
  }
  function uuid4() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function fold(text) {  // search without diacritics: "Nguyễn Đức" -> "nguyen duc"
    return (text || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d");
  }
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function api(url, options) {
    options = options || {};
    options.credentials = "same-origin";
    options.headers = Object.assign({ "Accept": "application/json" }, options.headers || {});
    if (options.body) {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRFToken"] = csrf();
    }
    return fetch(url, options);
  }

  // --- IndexedDB -----------------------------------------------------------------------------------------
  var dbPromise = new Promise(function (resolve, reject) {
    var req = indexedDB.open("cnscd-visit-log", 1);
    req.onupgradeneeded = function () {
      var db = req.result;
      db.createObjectStore("households", { keyPath: "id" });
      db.createObjectStore("queue", { keyPath: "client_uuid" });
      db.createObjectStore("meta", { keyPath: "key" });
    };
    req.onsuccess = function () { resolve(req.result); };
    req.onerror = function () { reject(req.error); };
  });
  function tx(store, mode, fn) {
    return dbPromise.then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(store, mode);
        var result = fn(t.objectStore(store));
        t.oncomplete = function () { resolve(result instanceof IDBRequest ? result.result : result); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }
  function getAll(store) { return tx(store, "readonly", function (s) { return s.getAll(); }); }
  function put(store, value) { return tx(store, "readwrite", function (s) { s.put(value); }); }
  function del(store, key) { return tx(store, "readwrite", function (s) { s.delete(key); }); }
  function getMeta(key) {
    return tx("meta", "readonly", function (s) { return s.get(key); }).then(function (r) { return r ? r.value : null; });
  }
  function setMeta(key, value) { return put("meta", { key: key, value: value }); }
  function replaceAll(store, rows) {
    return tx(store, "readwrite", function (s) { s.clear(); rows.forEach(function (r) { s.put(r); }); });
  }

  // --- Connection status and queue -------------------------------------------------------------------------
  function setNet(online) {
    var net = $("vl-net");
    net.textContent = online ? T.online : T.offline;
    net.classList.toggle("is-offline", !online);
  }
  function myQueue() {
    return getAll("queue").then(function (rows) {
      return rows.filter(function (r) { return r.user === USER; }).sort(function (a, b) { return b.created - a.created; });
    });
  }
  function pendingCount(rows) { return rows.filter(function (r) { return r.status === "pending"; }).length; }

  function renderQueue() {
    return myQueue().then(function (rows) {
      var n = pendingCount(rows);
      var badge = $("vl-pending");
      badge.textContent = n ? fmt(T.pending, n) : T.allSynced;
      badge.classList.toggle("has-pending", n > 0);
      badge.dataset.count = String(n);
      var list = $("vl-queue");
      list.textContent = "";
      if (!rows.length) list.appendChild(el("li", "muted", T.nothingYet));
      rows.slice(0, 30).forEach(function (r) {
        var li = el("li", "vl-q vl-q-" + r.status);
        li.dataset.uuid = r.client_uuid;
        li.dataset.status = r.status;
        var line = el("div", "vl-q-line");
        line.appendChild(el("strong", "", r.label));
        var label = { pending: T.statusPending, created: T.statusCreated, duplicate: T.statusDuplicate, invalid: T.statusInvalid }[r.status];
        line.appendChild(el("span", "vl-q-status", label));
        li.appendChild(line);
        li.appendChild(el("div", "muted vl-q-sub", r.payload.date.split("-").reverse().join("/") + " · " + r.summary));
        if (r.status === "invalid") {
          var reasons = [];
          Object.keys(r.errors || {}).forEach(function (k) { reasons = reasons.concat(r.errors[k]); });
          li.appendChild(el("div", "vl-q-error", reasons.map(function (x) { return typeof x === "string" ? x : JSON.stringify(x); }).join(" ")));
          var rm = el("button", "vl-small", T.remove);
          rm.type = "button";
          rm.addEventListener("click", function () {
            if (window.confirm(T.removeConfirm)) del("queue", r.client_uuid).then(renderQueue);
          });
          li.appendChild(rm);
        }
        list.appendChild(li);
      });
      return rows;
    });
  }

  function pruneSynced(rows) {  // keep the last 20 synced visits for display
    var done = rows.filter(function (r) { return r.status === "created" || r.status === "duplicate"; });
    return Promise.all(done.slice(20).map(function (r) { return del("queue", r.client_uuid); }));
  }

  function sync() {
    if (state.syncing) return Promise.resolve();
    return myQueue().then(function (rows) {
      var waiting = rows.filter(function (r) { return r.status === "pending"; }).reverse().slice(0, 100);
      if (!waiting.length) return null;
      state.syncing = true;
      $("vl-sync").textContent = T.syncing;
      return api(D.apiBulk, { method: "POST", body: JSON.stringify({ visits: waiting.map(function (r) { return r.payload; }) }) })
        .then(function (response) {
          setNet(true);
          if (response.status === 401 || response.status === 403) { flash(T.loginAgain, true); return null; }
          if (!response.ok) return null;
          return response.json().then(function (body) {
            return Promise.all(body.results.map(function (result) {
              var row = waiting[result.index];
              row.status = result.status;
              row.id = result.id;
              row.errors = result.errors || null;
              return put("queue", row);
            })).then(function () { return waiting.length === 100 ? "more" : "done"; });
          });
        })
        .catch(function () { setNet(false); return null; })
        .then(function (outcome) {
          state.syncing = false;
          $("vl-sync").textContent = $("vl-sync").dataset.label;
          return renderQueue().then(function (all) {
            if (outcome) { pruneSynced(all); refreshServerData(); }
            if (outcome === "more") return sync();
            return null;
          });
        });
    });
  }

  // --- Households, catalogue, recent visits, team month -----------------------------------------------------
  // A shared phone: what was cached for another member is removed before anything is shown. logout_guard.js
  // removes it at logout and at the next login of someone else; this covers any other way in.
  function forgetOtherUsers() {
    return getMeta("user").then(function (owner) {
      return tx("meta", "readwrite", function (s) {
        s.getAllKeys().onsuccess = function (event) {
          event.target.result.forEach(function (key) {
            var m = /^(recent|month):(.*)$/.exec(key);
            if ((m && m[2] !== USER) || (key === "user" && owner !== USER)) s.delete(key);
          });
        };
      }).then(function () {
        return owner === USER ? null : tx("households", "readwrite", function (s) { s.clear(); });
      });
    }).catch(function () {});
  }

  function loadHouseholds() {
    var rows = [];
    function page(url) {
      return api(url).then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      }).then(function (body) {
        body.results.forEach(function (h) {
          rows.push({ id: h.id, area: h.area, code: h.code, head_name: h.head_name, address: h.address });
        });
        return body.next ? page(body.next) : rows;
      });
    }
    return page(D.apiHouseholds + "?page_size=500")
      .then(function (all) { return replaceAll("households", all).then(function () { return setMeta("user", USER); }).then(function () { return all; }); })
      .catch(function () {
        return getMeta("user").then(function (owner) { return owner === USER ? getAll("households") : []; });
      })
      .then(function (all) {
        all.forEach(function (h) { h.key = fold(h.code + " " + h.head_name + " " + h.address); });
        all.sort(function (a, b) { return a.code.localeCompare(b.code, "vi", { numeric: true }); });
        state.households = all;
        $("vl-hh-info").textContent = fmt(T.householdsCached, all.length);
        search();
      });
  }

  function loadTypes() {
    return api(D.apiTypes).then(function (r) { if (!r.ok) throw new Error(); return r.json(); })
      .then(function (types) { return setMeta("types", types).then(function () { return types; }); })
      .catch(function () { return getMeta("types").then(function (t) { return t || []; }); })
      .then(function (types) {
        state.types = types;
        types.forEach(function (t) { state.typeNames[t.code] = t.name; });
        renderTypes();
      });
  }

  function refreshServerData() {
    var recent = api(D.apiVisits + "?mine=true&page_size=10").then(function (r) { if (!r.ok) throw new Error(); return r.json(); })
      .then(function (body) { return setMeta("recent:" + USER, body.results).then(function () { return body.results; }); })
      .catch(function () { return getMeta("recent:" + USER).then(function (v) { return v || []; }); })
      .then(renderRecent);
    var month = api(D.apiMonth).then(function (r) { if (!r.ok) throw new Error(); return r.json(); })
      .then(function (body) { return setMeta("month:" + USER, body).then(function () { return body; }); })
      .catch(function () { return getMeta("month:" + USER); })
      .then(renderMonth);
    return Promise.all([recent, month]);
  }

  function summary(activities) {
    return activities.map(function (a) { return (state.typeNames[a.type] || a.type) + " × " + a.quantity; }).join(", ");
  }
  function renderRecent(rows) {
    var list = $("vl-recent");
    if (!list) return;
    list.textContent = "";
    if (!rows || !rows.length) { list.appendChild(el("li", "muted", T.nothingYet)); return; }
    var byId = {};
    state.households.forEach(function (h) { byId[h.id] = h; });
    rows.forEach(function (v) {
      var li = el("li");
      var h = v.household && byId[v.household];
      li.appendChild(el("strong", "", h ? h.code + " — " + h.head_name : T.noHousehold));
      li.appendChild(el("div", "muted", v.date.split("-").reverse().join("/") + " · " + summary(v.activities)));
      list.appendChild(li);
    });
  }
  function renderMonth(m) {
    var box = $("vl-month");
    if (!box) return;
    box.textContent = "";
    if (!m) { box.appendChild(el("p", "muted", T.nothingYet)); return; }
    var head = el("div", "vl-month-head");
    [[m.visits, T.visits], [m.households, T.households]].forEach(function (pair) {
      var cell = el("div", "vl-stat");
      cell.appendChild(el("strong", "", String(pair[0])));
      cell.appendChild(el("span", "muted", pair[1]));
      head.appendChild(cell);
    });
    box.appendChild(head);
    var list = el("ul", "list");
    (m.activities || []).forEach(function (a) {
      var li = el("li", "vl-month-row");
      li.appendChild(el("span", "", state.typeNames[a.type] || a.type));
      li.appendChild(el("strong", "", String(a.quantity)));
      list.appendChild(li);
    });
    box.appendChild(list);
  }

  // --- The form -----------------------------------------------------------------------------------------------
  function renderTypes() {
    var list = $("vl-types");
    if (!list) return;
    list.textContent = "";
    state.types.forEach(function (t) {
      var li = el("li", "vl-type");
      li.dataset.code = t.code;
      var name = el("button", "vl-type-name", t.name);
      name.type = "button";
      var minus = el("button", "vl-step", "−");
      minus.type = "button";
      minus.setAttribute("aria-label", "−1 " + t.name);
      var qty = el("output", "vl-qty", "0");
      var plus = el("button", "vl-step", "+");
      plus.type = "button";
      plus.setAttribute("aria-label", "+1 " + t.name);
      function set(n) {
        n = Math.max(0, n);
        state.quantities[t.code] = n;
        qty.textContent = String(n);
        li.classList.toggle("is-on", n > 0);
      }
      name.addEventListener("click", function () { set((state.quantities[t.code] || 0) > 0 ? 0 : 1); });
      minus.addEventListener("click", function () { set((state.quantities[t.code] || 0) - 1); });
      plus.addEventListener("click", function () { set((state.quantities[t.code] || 0) + 1); });
      li.appendChild(name); li.appendChild(minus); li.appendChild(qty); li.appendChild(plus);
      list.appendChild(li);
    });
  }

  function search() {
    var input = $("vl-search");
    if (!input) return;
    var words = fold(input.value).split(/\s+/).filter(Boolean);
    var list = $("vl-results");
    list.textContent = "";
    var matches = [];
    for (var i = 0; i < state.households.length; i++) {
      var h = state.households[i];
      var ok = true;
      for (var w = 0; w < words.length; w++) { if (h.key.indexOf(words[w]) < 0) { ok = false; break; } }
      if (ok) matches.push(h);
    }
    if (!matches.length) { list.appendChild(el("li", "muted", T.noMatch)); return; }
    matches.slice(0, 30).forEach(function (h) {
      var li = el("li");
      var b = el("button", "vl-hh");
      b.type = "button";
      b.dataset.id = String(h.id);
      b.appendChild(el("strong", "", h.code + " — " + h.head_name));
      b.appendChild(el("span", "muted", h.address || ""));
      b.addEventListener("click", function () { choose(h); });
      li.appendChild(b);
      list.appendChild(li);
    });
    if (matches.length > 30) list.appendChild(el("li", "muted", fmt(T.moreResults, matches.length)));
  }

  function choose(h) {
    state.chosen = h;
    $("vl-chosen-title").textContent = h.code + " — " + h.head_name;
    $("vl-chosen-sub").textContent = h.address || "";
    $("vl-chosen").hidden = false;
    $("vl-pick").hidden = true;
    $("vl-nohousehold").checked = false;
  }
  function unchoose() {
    state.chosen = null;
    $("vl-chosen").hidden = true;
    $("vl-pick").hidden = false;
    $("vl-search").focus();
  }

  function flash(text, isError) {
    var box = $("vl-flash") || $("vl-storage");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
    box.classList.toggle("is-error", !!isError);
  }
  function showError(text) {
    var box = $("vl-error");
    box.textContent = text;
    box.hidden = !text;
  }

  function submit(event) {
    event.preventDefault();
    showError("");
    var noHousehold = $("vl-nohousehold").checked;
    if (!state.chosen && !noHousehold) { showError(T.chooseHousehold); return; }
    var activities = state.types.filter(function (t) { return (state.quantities[t.code] || 0) > 0; })
      .map(function (t) { return { type: t.code, quantity: state.quantities[t.code] }; });
    if (!activities.length) { showError(T.chooseActivity); return; }
    var vague = state.types.filter(function (t) { return t.requires_note && (state.quantities[t.code] || 0) > 0; });
    if (vague.length && !$("vl-note").value.trim()) {
      showError(fmt(T.noteNeeded, vague.map(function (t) { return t.name; }).join(", ")));
      $("vl-note").focus();
      return;
    }
    var date = $("vl-date").value || today();
    if (date > today()) { showError(T.futureDate); return; }
    var payload = {
      client_uuid: uuid4(),
      household: noHousehold ? null : state.chosen.id,
      date: date,
      channel: $("vl-channel").value,
      activities: activities,
      note: $("vl-note").value.trim()
    };
    // Help without a household at the commune's one-stop desk counts for the commune, not the team's hamlet.
    var atDesk = noHousehold && payload.channel === "one_stop_desk" && D.deskArea;
    if (noHousehold) payload.area = Number(atDesk ? D.deskArea : D.teamArea);
    var row = {
      client_uuid: payload.client_uuid, user: USER, payload: payload, status: "pending", created: Date.now(),
      label: atDesk ? T.atDesk : noHousehold ? T.noHousehold : state.chosen.code + " — " + state.chosen.head_name,
      summary: summary(activities)
    };
    put("queue", row).then(function () {
      state.quantities = {};
      renderTypes();
      $("vl-note").value = "";
      $("vl-search").value = "";
      unchoose();
      search();
      flash(T.saved);
      return renderQueue();
    }).then(sync).then(function () {
      return myQueue().then(function (rows) {
        var mine = rows.filter(function (r) { return r.client_uuid === row.client_uuid; })[0];
        if (mine && mine.status !== "pending") flash(mine.status === "invalid" ? T.statusInvalid : T.savedSynced, mine.status === "invalid");
      });
    });
  }

  // --- Files: save waiting visits, load them back ---------------------------------------------------------------
  function exportFile() {
    myQueue().then(function (rows) {
      var waiting = rows.filter(function (r) { return r.status !== "created" && r.status !== "duplicate"; });
      var blob = new Blob([JSON.stringify({ kind: "cnscd-visits", user: USER, saved: new Date().toISOString(), visits: waiting }, null, 1)], { type: "application/json" });
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = "luot-ho-tro-cho-dong-bo-" + today() + ".json";
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
      flash(fmt(T.exported, waiting.length));
    });
  }
  function importFile(event) {
    var file = event.target.files[0];
    if (!file) return;
    file.text().then(function (text) {
      var data = JSON.parse(text);
      if (!data || data.kind !== "cnscd-visits" || !Array.isArray(data.visits) || !data.user) throw new Error("bad");
      // The visits are sent in the name of whoever is logged in: never credit another member's visits to this one.
      var owners = data.visits.filter(function (r) { return r && r.user; }).map(function (r) { return r.user; });
      if (data.user !== USER || owners.some(function (u) { return u !== USER; })) {
        flash(T.otherUser.split("%(user)s").join(String(data.user)), true);
        return null;
      }
      return getAll("queue").then(function (existing) {
        var known = {};
        existing.forEach(function (r) { known[r.client_uuid] = true; });
        var fresh = data.visits.filter(function (r) { return r && r.payload && r.client_uuid && !known[r.client_uuid]; });
        return Promise.all(fresh.map(function (r) {
          r.user = USER; r.status = "pending"; r.errors = null;
          return put("queue", r);
        })).then(function () { flash(fmt(T.imported, fresh.length)); });
      });
    }).catch(function () { flash(T.badFile, true); })
      .then(renderQueue).then(sync);
    event.target.value = "";
  }

  // --- Start ---------------------------------------------------------------------------------------------------
  function start() {
    $("vl-sync").dataset.label = $("vl-sync").textContent;
    setNet(navigator.onLine);
    if ("serviceWorker" in navigator) navigator.serviceWorker.register(D.sw, { scope: "/" }).catch(function () {});
    if (navigator.storage && navigator.storage.persist) {
      navigator.storage.persist().then(function (ok) { $("vl-storage").textContent = ok ? T.persisted : T.notPersisted; });
    }
    if ($("vl-form")) {
      $("vl-date").value = today();
      $("vl-date").max = today();
      $("vl-form").addEventListener("submit", submit);
      $("vl-search").addEventListener("input", search);
      $("vl-change").addEventListener("click", unchoose);
      $("vl-nohousehold").addEventListener("change", function () {
        if (this.checked) { state.chosen = null; $("vl-chosen").hidden = true; $("vl-pick").hidden = true; }
        else { $("vl-pick").hidden = false; }
      });
    }
    $("vl-sync").addEventListener("click", sync);
    $("vl-export").addEventListener("click", exportFile);
    $("vl-import").addEventListener("change", importFile);
    window.addEventListener("online", function () { setNet(true); sync(); });
    window.addEventListener("offline", function () { setNet(false); });
    // The warning before logging out with waiting visits is logout_guard.js's, loaded by every page.
    forgetOtherUsers()
      .then(function () { return Promise.all([loadTypes(), loadHouseholds()]); })
      .then(renderQueue)
      .then(refreshServerData)
      .then(sync)
      .then(function () { root.dataset.ready = "1"; });
    setInterval(function () { if (Number($("vl-pending").dataset.count || "0") > 0) sync(); }, 20000);
  }

  start();
})();

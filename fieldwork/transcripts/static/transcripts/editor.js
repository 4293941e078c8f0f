/* The transcript page on a slow, intermittent connection.
 *
 * The page is a plain form that works without this script. With it:
 * - unsaved text is kept in this browser (localStorage) as it is typed, so a dropped
 *   connection or a closed tab loses nothing; it is restored, with a visible notice, when
 *   the page opens again, and removed once the server has it;
 * - a draft is autosaved through htmx every few seconds when (and only when) it changed, when
 *   a field is left, when the tab is hidden and when the connection comes back; the status
 *   line says "Saved at hh:mm" or why it was not saved.
 * Every user-facing sentence comes from the template (data-msg-*), translated there.
 */
(function () {
  "use strict";

  var form = document.getElementById("transcript-form");
  if (!form) return;

  var FIELDS = [
    "language", "language_other", "text", "notes",
    "translation_language", "translation_language_other", "translation",
  ];
  var storageKey = form.dataset.storageKey;
  var autosaveOn = form.dataset.autosave === "on";
  var seconds = parseInt(form.dataset.autosaveSeconds, 10) || 20;
  var revisionInput = form.elements.namedItem("revision");
  var sessionInput = form.elements.namedItem("session");

  function field(name) { return form.elements.namedItem(name); }

  function values() {
    var out = {};
    FIELDS.forEach(function (name) {
      var el = field(name);
      if (el) out[name] = el.value;
    });
    return out;
  }

  function snapshot(v) { return JSON.stringify(v || values()); }

  function fill(v) {
    FIELDS.forEach(function (name) {
      var el = field(name);
      if (el && typeof v[name] === "string") el.value = v[name];
    });
    toggleOther();
  }

  // --- Browser storage (may be unavailable: private mode, full quota) ---------------------

  function readStored() {
    try {
      var raw = window.localStorage.getItem(storageKey);
      return raw ? JSON.parse(raw) : null;
    } catch (e) {
      return null;
    }
  }

  function removeStored() {
    try { window.localStorage.removeItem(storageKey); } catch (e) { /* nothing kept */ }
  }

  function writeStored(submitted) {
    var current = values();
    if (snapshot(current) === lastSaved) {
      removeStored();
      return;
    }
    try {
      window.localStorage.setItem(storageKey, JSON.stringify({
        values: current,
        revision: parseInt(revisionInput.value, 10) || 0,
        session: sessionInput.value,
        at: Date.now(),
        submitted: !!submitted,
      }));
    } catch (e) { /* the page still holds the text */ }
  }

  // --- Status line -------------------------------------------------------------------------

  function setStatus(state, message) {
    var el = document.getElementById("save-status");
    if (!el) return;
    el.dataset.state = state;
    el.textContent = message;
  }

  // --- "Other language" fields only when "Other" is chosen ---------------------------------

  function toggleOther() {
    ["language", "translation_language"].forEach(function (name) {
      var select = field(name);
      var other = document.getElementById("field-" + name + "_other");
      if (select && other) other.hidden = select.value !== "other";
    });
  }

  // --- What the page shows compared with what this browser kept -----------------------------

  var serverValues = values();
  var serverRevision = revisionInput.value;
  var serverSession = sessionInput.value;
  var pageSaved = form.dataset.saved === "true";
  // What the server is known to hold; null when the page shows refused text.
  var lastSaved = pageSaved ? snapshot(serverValues) : null;
  var lastFailed = null;
  var sent = null;
  var inFlight = false;
  var stopped = !autosaveOn;

  var stored = readStored();
  if (stored && stored.values) {
    var storedSnapshot = snapshot(stored.values);
    var pageRevision = parseInt(serverRevision, 10) || 0;
    if (storedSnapshot === snapshot(serverValues)) {
      if (pageSaved) removeStored();
    } else if (!pageSaved) {
      writeStored(false); // the page shows what was just sent: it is the newest text
    } else if (
      stored.submitted &&
      pageRevision > stored.revision &&
      form.dataset.lastSession === stored.session
    ) {
      removeStored(); // this browser's own form post was saved (perhaps with a file's text)
    } else {
      fill(stored.values);
      revisionInput.value = String(stored.revision);
      sessionInput.value = stored.session || serverSession;
      var notice = document.getElementById("restore-notice");
      if (notice) {
        notice.hidden = false;
        var newer = document.getElementById("restore-newer");
        if (newer) newer.hidden = !(pageRevision > stored.revision);
      }
      setStatus("dirty", form.dataset.msgUnsaved);
    }
  }
  toggleOther();

  var discard = document.getElementById("restore-discard");
  if (discard) {
    discard.addEventListener("click", function () {
      fill(serverValues);
      revisionInput.value = serverRevision;
      sessionInput.value = serverSession;
      removeStored();
      document.getElementById("restore-notice").hidden = true;
      setStatus("idle", "");
    });
  }

  // --- Typing -----------------------------------------------------------------------------

  var storeTimer = null;
  form.addEventListener("input", function () {
    clearTimeout(storeTimer);
    storeTimer = setTimeout(function () { writeStored(false); }, 400);
    if (!inFlight && snapshot() !== lastSaved) setStatus("dirty", form.dataset.msgUnsaved);
  });
  form.addEventListener("change", function (event) {
    toggleOther();
    writeStored(false);
    if (event.target && event.target.tagName === "TEXTAREA") autosave();
  });
  // A plain post (save, mark as final, read a file): keep the text until the page that
  // answers shows it saved.
  form.addEventListener("submit", function () {
    clearTimeout(storeTimer);
    writeStored(true);
  });

  // --- Autosave ---------------------------------------------------------------------------

  function autosave() {
    if (stopped || inFlight || !window.htmx) return;
    var current = snapshot();
    if (current === lastSaved || current === lastFailed) return;
    if (navigator.onLine === false) {
      // The browser knows it is offline: the text stays here, and "online" sends it. A try
      // now could be queued and land later, after a newer copy from another tab.
      setStatus("offline", form.dataset.msgOffline);
      return;
    }
    sent = current;
    // htmx sends it at once (htmx:beforeRequest marks it in flight); if htmx has not taken
    // charge of the form yet, nothing is sent and the next turn tries again.
    window.htmx.trigger(form, "transcript-autosave");
  }

  form.addEventListener("transcript-saved", function (event) {
    var detail = event.detail || {};
    if (detail.revision) revisionInput.value = String(detail.revision);
    if (detail.session) sessionInput.value = detail.session;
    form.dataset.lastSession = sessionInput.value;
    lastSaved = sent;
    lastFailed = null;
    writeStored(false); // removes the kept copy unless more was typed meanwhile
  });
  form.addEventListener("transcript-not-saved", function (event) {
    lastFailed = sent; // the same text would be refused again: wait for a change
    if (event.detail && event.detail.conflict) stopped = true;
  });
  form.addEventListener("htmx:beforeSwap", function (event) {
    // Only our status fragment goes in the status line; not, say, the sign-in page a
    // request is sent to once the session has ended.
    var xhr = event.detail.xhr;
    var ours = (xhr.getResponseHeader("HX-Trigger") || "").indexOf("transcript-") !== -1;
    if (!ours) {
      event.detail.shouldSwap = false;
      var signedOut = (xhr.responseURL || "").indexOf("/accounts/login/") !== -1;
      setStatus("error", signedOut ? form.dataset.msgSignin : form.dataset.msgFailed);
    }
  });
  form.addEventListener("htmx:beforeRequest", function () {
    inFlight = true;
    setStatus("saving", form.dataset.msgSaving);
  });
  form.addEventListener("htmx:afterRequest", function () { inFlight = false; });
  form.addEventListener("htmx:sendError", function () {
    setStatus("offline", form.dataset.msgOffline);
  });
  form.addEventListener("htmx:timeout", function () {
    setStatus("offline", form.dataset.msgOffline);
  });
  form.addEventListener("htmx:responseError", function () {
    setStatus("error", form.dataset.msgFailed);
  });

  if (autosaveOn) {
    window.setInterval(autosave, seconds * 1000);
    window.addEventListener("online", autosave);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") autosave();
    });
  }
})();

// Concord works without JavaScript; this file only adds conveniences.
"use strict";
document.addEventListener("submit", function (ev) {
  // Ask before irreversible actions marked with data-confirm, on the form
  // or on the button that submits it.
  var by = ev.submitter && ev.submitter.hasAttribute("data-confirm") ? ev.submitter : ev.target;
  var msg = by.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) {
    ev.preventDefault();
    return;
  }
  // Signing out on purpose forgets the unsaved answers kept in this tab.
  if (ev.target.getAttribute("action") === "/logout") {
    forgetDrafts();
  }
});
document.addEventListener("click", function (ev) {
  // Select a one-time secret with one click, ready to copy.
  var el = ev.target.closest(".secret code");
  if (!el) return;
  var range = document.createRange();
  range.selectNodeContents(el);
  var sel = window.getSelection();
  sel.removeAllRanges();
  sel.addRange(range);
});

// Copy buttons: <button data-copy="ID"> copies the text of the element ID.
// The buttons are hidden until this script shows them; without it, the
// text stays selectable by hand.
Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (btn) {
  var src = document.getElementById(btn.getAttribute("data-copy"));
  if (!src) return;
  var status = btn.parentNode.querySelector("[data-copy-status]");
  var say = function (msg) { if (status) status.textContent = msg; };
  btn.hidden = false;
  btn.addEventListener("click", function () {
    var text = src.value !== undefined ? src.value : src.textContent;
    var fallback = function () {
      src.focus();
      if (src.select) src.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      say(ok ? "Copied." : "Select the text and copy it with Ctrl+C (⌘+C on a Mac).");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { say("Copied."); }, fallback);
    } else {
      fallback();
    }
  });
});

// Unsaved answers of the position form are kept in this browser tab
// (sessionStorage, keyed by consultation and member), so that a delegate
// signed out after a long pause finds them again after signing in. Nothing
// is sent anywhere: the store is the tab's own and ends with it.
var draftPrefix = "concord.draft.";

function draftStore() {
  try {
    var s = window.sessionStorage;
    s.getItem(draftPrefix); // throws where storage is blocked
    return s;
  } catch (e) {
    return null;
  }
}

function forgetDrafts() {
  var s = draftStore();
  if (!s) return;
  for (var i = s.length - 1; i >= 0; i--) {
    var k = s.key(i);
    if (k && k.indexOf(draftPrefix) === 0) s.removeItem(k);
  }
}

(function () {
  var form = document.querySelector("form[data-draft-key]");
  var store = draftStore();
  if (!form || !store) return;
  var key = form.getAttribute("data-draft-key");
  if (key.indexOf(draftPrefix) !== 0) return;
  var fields = function () {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrf_token" && el.type !== "submit" && el.type !== "button" && el.type !== "hidden";
    });
  };
  // snapshot maps each field name to its values in page order.
  var snapshot = function () {
    var out = {};
    fields().forEach(function (el) {
      if (!out[el.name]) out[el.name] = [];
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) out[el.name].push(el.value);
      } else {
        out[el.name].push(el.value);
      }
    });
    return out;
  };
  var same = function (a, b) {
    var names = Object.keys(a).concat(Object.keys(b));
    for (var i = 0; i < names.length; i++) {
      if (JSON.stringify(a[names[i]] || []) !== JSON.stringify(b[names[i]] || [])) return false;
    }
    return true;
  };
  var apply = function (data) {
    fields().forEach(function (el) {
      var vals = data[el.name];
      if (!vals) return;
      if (el.type === "radio" || el.type === "checkbox") {
        el.checked = vals.indexOf(el.value) >= 0;
      } else if (el.tagName === "SELECT") {
        // Only a value the list offers.
        if (Array.prototype.some.call(el.options, function (o) { return o.value === (vals[0] || ""); })) el.value = vals[0] || "";
      } else {
        el.value = vals[0] || "";
      }
    });
  };
  var shown = snapshot(); // what the server sent
  var outcome = form.getAttribute("data-outcome");
  var disabled = form.querySelector("fieldset[disabled]") !== null;
  if (form.hasAttribute("data-saved") || (outcome && outcome !== "closed")) {
    // Saved, or the page shows the answers just posted: nothing older to
    // bring back.
    store.removeItem(key);
  } else if (!disabled && !outcome) {
    var kept = null;
    try { kept = JSON.parse(store.getItem(key) || "null"); } catch (e) { kept = null; }
    if (kept && typeof kept === "object" && !same(kept, shown)) {
      apply(kept);
      var notice = document.querySelector("[data-draft-notice]");
      if (notice) {
        notice.textContent = "Restored your unsaved answers from this browser. Save positions to keep them. ";
        var discard = document.createElement("button");
        discard.type = "button";
        discard.className = "button secondary small";
        discard.textContent = "Discard them";
        discard.addEventListener("click", function () {
          store.removeItem(key);
          window.location.reload();
        });
        notice.appendChild(discard);
        notice.hidden = false;
      }
    }
  }
  if (disabled) return;
  var remember = function () {
    var now = snapshot();
    try {
      if (same(now, shown)) store.removeItem(key);
      else store.setItem(key, JSON.stringify(now));
    } catch (e) { /* storage full or blocked: the form still works */ }
  };
  form.addEventListener("input", remember);
  form.addEventListener("change", remember);
})();

// A question still showing the previous round's answer (carried forward)
// says so once the delegate edits it: a changed answer is saved as this
// round's on the next save (the server compares; this is only a hint).
Array.prototype.forEach.call(document.querySelectorAll(".question .carried"), function (box) {
  var q = box.closest(".question");
  var status = box.querySelector("[data-carried-status]");
  if (!q || !status) return;
  var mark = function (ev) {
    if (!ev.target.name || ev.target.closest(".review")) return;
    status.textContent = status.getAttribute("data-carried-status");
    box.classList.add("is-edited");
  };
  q.addEventListener("input", mark);
  q.addEventListener("change", mark);
});

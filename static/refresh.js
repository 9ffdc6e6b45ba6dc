// Pages showing a running silence procedure keep themselves current: an
// element with data-refresh="N" reloads the page every N seconds. Never
// while the reader is typing or has changed a form (the input would be
// lost), has opened a form to act, or has the tab in the background. The
// page works without this script; it is only fresher with it.
"use strict";
(function () {
  var el = document.querySelector("[data-refresh]");
  if (!el) return;
  var secs = parseInt(el.getAttribute("data-refresh"), 10);
  if (!(secs >= 5)) return;
  var status = document.querySelector("[data-refresh-status]");
  var dirty = false;
  var due = Date.now() + secs * 1000;
  var mark = function () { dirty = true; };
  document.addEventListener("input", mark);
  document.addEventListener("change", mark);
  var busy = function () {
    var a = document.activeElement;
    if (a && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName)) return true;
    return dirty || document.querySelector("details[open] form") !== null;
  };
  setInterval(function () {
    if (document.hidden || Date.now() < due) return;
    if (busy()) {
      if (status) status.textContent = "Updates are paused while you fill in a form; reload the page to see the latest answers.";
      return;
    }
    window.location.reload();
  }, 1000);
})();

// Concord works without JavaScript; this file only adds conveniences.
"use strict";
document.addEventListener("submit", function (ev) {
  // Ask before irreversible actions marked with data-confirm.
  var msg = ev.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) {
    ev.preventDefault();
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

// Copy buttons: a button with data-copy="ID" copies the value of the
// element with that id. The page works without it (the text stays
// selectable); the button is shown only when copying is possible.
"use strict";
(function () {
  if (!navigator.clipboard) return;
  document.querySelectorAll("button[data-copy]").forEach(function (btn) {
    var id = btn.getAttribute("data-copy");
    var src = document.getElementById(id);
    var status = document.querySelector('[data-copy-status="' + id + '"]');
    if (!src) return;
    btn.hidden = false;
    btn.addEventListener("click", function () {
      navigator.clipboard.writeText(src.value || src.textContent).then(function () {
        if (status) status.textContent = "Copied.";
      }, function () {
        src.select();
        if (status) status.textContent = "Select the list and copy it with Ctrl+C.";
      });
    });
  });
})();

// The volunteer's calendar page: a 「复制地址」 button beside the feed address. It stays hidden
// where the browser cannot copy (then the address is selected for a long press instead).
// No inline script: the CSP allows only files from the site itself.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var done = document.getElementById("copy-done");
    if (!field) return;
    field.addEventListener("focus", function () { field.select(); });
    if (!navigator.clipboard || !window.isSecureContext) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        if (done) done.hidden = false;
      }, function () {
        field.focus();
        field.select();
      });
    });
  });
})();

// Small behaviours every page shares; no inline scripts (the CSP allows 'self' only).
(function () {
  "use strict";
  // Move focus to the first field a refusal points at, after a full load or an htmx swap,
  // so a keyboard or screen-reader user lands on what needs fixing.
  function focusFirstError(root) {
    var field = (root || document).querySelector("[aria-invalid='true']");
    if (field && typeof field.focus === "function") field.focus();
  }
  document.addEventListener("DOMContentLoaded", function () { focusFirstError(document); });
  document.addEventListener("htmx:afterSwap", function (event) { focusFirstError(event.target); });
})();

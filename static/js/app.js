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

  // The header's 消息 link shows the unread count, asked for on load, every 15 s while the
  // page is visible, and when it becomes visible again. A failed ask (offline, a restart) is
  // silent: the count stays as it was until the next one succeeds.
  var UNREAD_EVERY_MS = 15000;
  function refreshUnread() {
    var link = document.querySelector("a.inbox-link[data-unread-url]");
    if (!link || document.visibilityState === "hidden") return;
    fetch(link.getAttribute("data-unread-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body || typeof body.unread !== "number") return;
        var count = link.querySelector(".unread-count");
        var words = link.querySelector(".unread-words");
        count.textContent = body.unread > 99 ? "99+" : String(body.unread);
        count.hidden = body.unread === 0;
        count.setAttribute("aria-hidden", "true");
        words.textContent = body.unread ? words.getAttribute("data-template").replace("{n}", body.unread) : "";
      })
      .catch(function () {});
  }
  document.addEventListener("DOMContentLoaded", function () {
    refreshUnread();
    setInterval(refreshUnread, UNREAD_EVERY_MS);
  });
  document.addEventListener("visibilitychange", refreshUnread);
  // The inbox page tells the header when it changed (a message read or arrived).
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "inbox-messages") refreshUnread();
  });
})();

// Admin and account pages: ask before a form that cannot be undone is sent, and copy a value
// to the clipboard. Loaded from the templates that need it (the CSP allows no inline script).
(function () {
  "use strict";
  // <form data-confirm="…">: the browser's own dialog asks; "Cancel" keeps everything as it was.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);
  // <button data-copy="element-id" data-copied="已复制">: copies that element's value or text.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    var value = source.value !== undefined ? source.value : source.textContent;
    var done = function () {
      var status = document.getElementById(button.getAttribute("aria-describedby") || "");
      if (status) status.textContent = button.getAttribute("data-copied") || "";
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(value).then(done, function () { source.select && source.select(); });
    } else if (source.select) {
      source.select();
    }
  });
})();

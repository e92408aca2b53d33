// The desk's demand and order pages: a refusal answered to an htmx request is still shown.
// htmx leaves 4xx answers unswapped by default; inside an element marked data-show-refusals
// (the order form's candidate panel) the answer *is* the message to show — "too many
// previews" (429), "outside the community" (403), "end before start" (422) — so it is swapped
// in like any other. No inline script: the CSP allows only files from the site itself.
(function () {
  "use strict";
  var SHOWN = [403, 404, 409, 422, 429];
  document.addEventListener("htmx:beforeSwap", function (event) {
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    var status = event.detail.xhr.status;
    if (source && source.closest && source.closest("[data-show-refusals]") && SHOWN.indexOf(status) >= 0) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();

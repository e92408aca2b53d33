// Residents' pages: "用我的位置" on /activities. Without JavaScript (or without a location)
// the community picker above it does the same job, so the button only shows when it can work.
(function () {
  "use strict";

  function setUp() {
    var form = document.getElementById("resident-geo");
    if (!form || form.dataset.ready || !("geolocation" in navigator)) {
      return;
    }
    form.dataset.ready = "1";
    form.hidden = false;
    var failed = document.getElementById("geo-failed");
    form.addEventListener("submit", function (event) {
      if (form.elements.lat.value) {
        return; // the location is filled in: let the form go
      }
      event.preventDefault();
      var button = form.querySelector("button");
      button.setAttribute("aria-busy", "true");
      navigator.geolocation.getCurrentPosition(
        function (position) {
          form.elements.lat.value = position.coords.latitude.toFixed(5);
          form.elements.lng.value = position.coords.longitude.toFixed(5);
          form.submit();
        },
        function () {
          button.removeAttribute("aria-busy");
          failed.hidden = false;
        },
        { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 }
      );
    });
  }

  document.addEventListener("DOMContentLoaded", setUp);
  document.addEventListener("htmx:afterSettle", setUp);
})();

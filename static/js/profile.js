// 我的资料: 「用我现在的位置」 fills the home form's hidden point from the browser's location.
// Without JavaScript (or without location) the button stays hidden and the community alone is
// saved. The point goes only to the server with the form; nothing is shown or sent elsewhere.
(function () {
  "use strict";
  // Typing a distance of one's own chooses 「自己填」 (without JavaScript, tick it by hand).
  var typed = document.getElementById("radius_custom");
  var custom = document.querySelector("[data-radius-custom]");
  if (typed && custom) {
    typed.addEventListener("input", function () { custom.checked = true; });
  }
  var box = document.querySelector("[data-locate]");
  if (!box || !navigator.geolocation) { return; }
  box.hidden = false;
  var button = box.querySelector("[data-locate-button]");
  var status = box.querySelector("[data-locate-status]");
  button.addEventListener("click", function () {
    status.textContent = status.dataset.waiting;
    navigator.geolocation.getCurrentPosition(function (position) {
      document.getElementById("home-lat").value = position.coords.latitude.toFixed(6);
      document.getElementById("home-lng").value = position.coords.longitude.toFixed(6);
      status.textContent = status.dataset.found;
    }, function () {
      status.textContent = status.dataset.failed;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
})();

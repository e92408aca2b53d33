// The volunteer's activity day (签到 / 签退), phone first. Without this file the forms post as
// they are (no location: the check-in waits for the community's confirmation, or the venue
// code). With it:
// * 签到 asks the phone for its location first and sends it with the form;
// * a tap made without signal is kept on the phone (localStorage) with the time it was made and
//   the location, the page says so in big text, and it is sent to the JSON API as soon as the
//   phone is online again (the `online` event, and every load of a page that includes this
//   file); the server accepts the recorded time within bounds and says why otherwise.
(function () {
  "use strict";
  var KEY = "kepu.checkin.queue";

  function load() {
    try { return JSON.parse(window.localStorage.getItem(KEY) || "[]") || []; } catch (e) { return []; }
  }
  function save(queue) {
    try { window.localStorage.setItem(KEY, JSON.stringify(queue)); } catch (e) { /* private mode: nothing kept */ }
  }
  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
    } catch (e) { return ""; }
  }
  function show(id, text) {
    ["checkin-queued", "checkin-sent", "checkin-locating", "checkin-problem"].forEach(function (other) {
      var el = document.getElementById(other);
      if (el && other !== id) el.hidden = true;
    });
    var el = document.getElementById(id);
    if (!el) return;
    if (text) el.textContent = text;
    el.hidden = false;
    el.scrollIntoView({ block: "center" });
  }
  function day() { return document.getElementById("checkin-day"); }

  function locate() {
    return new Promise(function (resolve) {
      if (!navigator.geolocation) { resolve(null); return; }
      navigator.geolocation.getCurrentPosition(
        function (position) { resolve({ lat: position.coords.latitude, lng: position.coords.longitude }); },
        function () { resolve(null); },
        { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
      );
    });
  }

  // A check-in kept offline: the page no longer asks for it (a second tap would only repeat
  // it), the big notice says it is kept, and 签退 becomes the next thing to do.
  function revealCheckOut(offer) {
    var page = day();
    if (!page || page.getAttribute("data-offer") !== String(offer)) return;
    page.querySelectorAll("form[data-checkin='check-in'], .checkin-status").forEach(function (el) {
      el.hidden = true;
    });
    var form = page.querySelector("form[data-checkin='check-out']");
    if (form) form.hidden = false;
  }

  function keep(kind, body) {
    var page = day();
    var queue = load();
    queue.push({
      offer: page.getAttribute("data-offer"),
      kind: kind,
      url: page.getAttribute(kind === "check-in" ? "data-check-in-api" : "data-check-out-api"),
      body: body
    });
    save(queue);
    show("checkin-queued");
    if (kind === "check-in") revealCheckOut(page.getAttribute("data-offer"));
  }

  function setField(form, name, value) {
    var input = form.querySelector("input[name='" + name + "']");
    if (input) input.value = value == null ? "" : String(value);
  }

  function swapIn(html) {
    var parsed = new DOMParser().parseFromString(html, "text/html");
    var main = document.getElementById("main");
    if (!main) return;
    main.replaceChildren.apply(main, Array.prototype.slice.call(parsed.body.childNodes));
    var invalid = main.querySelector("[aria-invalid='true']");
    if (invalid) invalid.focus();
  }

  var sending = false;
  function flush() {
    if (sending || !navigator.onLine) return;
    var queue = load();
    if (!queue.length) return;
    sending = true;
    var item = queue[0];
    fetch(item.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(item.body)
    }).then(function (response) {
      var rest = load().slice(1);
      save(rest);
      sending = false;
      if (response.ok) {
        if (rest.length) { flush(); return; }
        show("checkin-sent");
        window.setTimeout(function () { window.location.reload(); }, 1200);
        return;
      }
      return response.json().catch(function () { return {}; }).then(function (problem) {
        show("checkin-problem", problem.detail || problem.title || String(response.status));
        flush();
      });
    }, function () {
      sending = false;  // still no signal: keep it for the next `online` event or page load
      show("checkin-queued");
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-checkin]") || !day()) return;
    // The venue code needs no location: online it is a plain form post (a wrong code comes
    // back as the page with the error beside the field); only without signal is it kept.
    if (form.querySelector("input[name='venue_code']") && navigator.onLine) return;
    event.preventDefault();
    var kind = form.getAttribute("data-checkin");
    var button = form.querySelector("button[type='submit']");
    if (button) button.disabled = true;
    var recorded = { at: new Date().toISOString() };
    var code = form.querySelector("input[name='venue_code']");
    if (code && code.value.trim()) recorded.venue_code = code.value.trim();
    var located = form.getAttribute("data-locate") === "yes" ? (show("checkin-locating"), locate()) : Promise.resolve(null);
    located.then(function (position) {
      if (position) {
        recorded.lat = position.lat; recorded.lng = position.lng;
        setField(form, "lat", position.lat); setField(form, "lng", position.lng);
      }
      if (!navigator.onLine) { keep(kind, recorded); if (button) button.disabled = false; return; }
      // Online, the server's clock counts: the form's `at` stays empty.
      return fetch(form.action, {
        method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin", headers: { "HX-Request": "true" }
      }).then(function (response) {
        var target = response.headers.get("HX-Redirect");
        if (target) { window.location.assign(target); return; }
        return response.text().then(swapIn);
      }, function () {
        keep(kind, recorded);
        if (button) button.disabled = false;
      });
    });
  });

  window.addEventListener("online", flush);
  function start() {
    var queue = load();
    queue.forEach(function (item) { if (item.kind === "check-in") revealCheckOut(item.offer); });
    if (!queue.length) return;
    if (navigator.onLine) flush(); else show("checkin-queued");
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

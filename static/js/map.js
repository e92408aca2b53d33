/* The activity map (活动地图): draws the page's embedded JSON (#map-data) with Leaflet.
 *
 * With no tiles configured (the default) the map is drawn offline: street outlines, community
 * points with their names, a scale bar — nothing is fetched from the internet. Volunteers come
 * as counts per community only; the server never sends anyone's home. Popups are built as DOM
 * nodes (no HTML strings), so titles cannot inject markup.
 */
(function () {
  "use strict";

  var COLORS = { open: "#1d5fbf", unfilled: "#b93a0b", done: "#17753a" };
  var VOLUNTEERS = "#7b3fc4";
  var STREET = "#5b6b7a";

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) {
      return key in values ? String(values[key]) : "";
    });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function draw(container, data, words) {
    var map = L.map(container, {
      zoomSnap: 0.25,
      attributionControl: Boolean(data.tiles),
      scrollWheelZoom: false, // the page scrolls past the map; zoom with the buttons or pinch
    });
    (data.tiles || []).forEach(function (layer) {
      L.tileLayer(layer.url, {
        attribution: layer.attribution,
        subdomains: layer.subdomains || "abc",
        maxZoom: layer.maxZoom,
      }).addTo(map);
    });
    L.control.scale({ metric: true, imperial: false, position: "bottomleft" }).addTo(map);

    var bounds = L.latLngBounds([]);
    data.outlines.forEach(function (shape) {
      var level = shape[0], name = shape[1], ring = shape[2];
      var district = level === "district";
      var polygon = L.polygon(ring, {
        color: STREET,
        weight: district ? 2.5 : 1.5,
        dashArray: district ? "8 6" : "4 4",
        fillColor: STREET,
        fillOpacity: district ? 0 : 0.06,
        interactive: false,
      }).addTo(map);
      ring.forEach(function (p) { bounds.extend(p); });
      if (!district) {
        polygon.bindTooltip(name, {
          permanent: true, direction: "center", className: "map-street-label", opacity: 1,
        });
      }
    });

    // Volunteer density first, so order markers sit on top of the circles.
    data.communities.forEach(function (c) {
      var id = c[0], name = c[1], at = [c[2], c[3]], volunteers = c[4];
      bounds.extend(at);
      if (volunteers > 0) {
        L.circleMarker(at, {
          radius: 5 + 2.2 * Math.sqrt(volunteers),
          color: VOLUNTEERS, weight: 1, fillColor: VOLUNTEERS, fillOpacity: 0.16,
        }).bindTooltip(name + "：" + fill(words.volunteers, { n: volunteers })).addTo(map);
      }
      L.circleMarker(at, {
        radius: 3, color: "#333", weight: 1, fillColor: "#fff", fillOpacity: 1,
        interactive: false,
      }).bindTooltip(name, {
        permanent: true, direction: "right", offset: [4, 0], className: "map-community-label",
        opacity: 1,
      }).addTo(map);
      if (!data.detailed) drawCommunityCounts(map, c, data.groups, words);
    });

    if (data.detailed) drawOrders(map, data, words);

    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [16, 16] });
    } else {
      map.setView([35.0, 105.0], 4);
    }
    var labelsFrom = map.getZoom() + 0.75; // community names once zoomed in a little
    function labelDensity() {
      container.classList.toggle("show-community-labels", map.getZoom() >= labelsFrom);
    }
    map.on("zoomend", labelDensity);
    labelDensity();
    // Offline there is nothing to hide behind: show the names at once if the area is small.
    if (data.communities.length <= 12) container.classList.add("show-community-labels");
  }

  // Orders at the same venue and of the same group share a marker; groups sit side by side.
  function drawOrders(map, data, words) {
    var spots = {};
    data.orders.forEach(function (o) {
      var key = o[2] + "," + o[3] + "," + o[1];
      (spots[key] = spots[key] || []).push(o);
    });
    Object.keys(spots).forEach(function (key) {
      var orders = spots[key], first = orders[0], group = data.groups[first[1]];
      var at = [first[2], first[3] + (first[1] - 1) * 0.0005];
      var marker = L.circleMarker(at, {
        radius: orders.length > 1 ? 8 + Math.min(6, orders.length) : 7,
        color: "#fff", weight: 2, fillColor: COLORS[group], fillOpacity: 0.95,
      });
      marker.bindPopup(orderPopup(orders, data.groups, words), { maxWidth: 280 });
      marker.addTo(map);
    });
  }

  function orderPopup(orders, groups, words) {
    var box = el("div", "map-popup");
    orders.slice(0, 8).forEach(function (o) {
      var item = el("div", "map-popup-order");
      var title = el("p", "map-popup-title");
      if (o[9]) {
        var link = el("a", null, o[4]);
        link.href = o[9];
        title.appendChild(link);
      } else {
        title.textContent = o[4];
      }
      item.appendChild(title);
      item.appendChild(el("p", null, o[5] + " · " + o[6]));
      item.appendChild(el("p", null, words.groups[groups[o[1]]] + " · " +
        fill(words.fill, { accepted: o[7], slots: o[8] })));
      box.appendChild(item);
    });
    if (orders.length > 8) box.appendChild(el("p", "map-popup-more", "… +" + (orders.length - 8)));
    return box;
  }

  // Many orders: one small circle per status group at the community, sized by its count.
  function drawCommunityCounts(map, c, groups, words) {
    var counts = c.slice(5);
    var total = counts.reduce(function (a, b) { return a + b; }, 0);
    if (!total) return;
    var box = el("div", "map-popup");
    box.appendChild(el("p", "map-popup-title", c[1]));
    groups.forEach(function (group, i) {
      box.appendChild(el("p", null, fill(words.orders, { name: words.groups[group], n: counts[i] })));
    });
    groups.forEach(function (group, i) {
      if (!counts[i]) return;
      L.circleMarker([c[2], c[3] + (i - 1) * 0.0012], {
        radius: 5 + 1.6 * Math.sqrt(counts[i]),
        color: "#fff", weight: 1.5, fillColor: COLORS[group], fillOpacity: 0.9,
      }).bindPopup(box, { maxWidth: 260 }).addTo(map);
    });
  }

  function start() {
    var container = document.getElementById("insight-map");
    var data = readJson("map-data");
    if (!container || !data || typeof L === "undefined") return;
    draw(container, data, readJson("map-words"));
    container.classList.add("is-drawn");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

// The report's charts, interactive: hover shows a crosshair and every series' value at that
// point; on time charts a drag zooms every time chart to the dragged seconds and a double
// click resets. Hand-written, no library, nothing fetched: each chart's numbers are in its
// `data-chart` attribute (the same numbers the SVG draws). Without JS the SVG stands alone.
// With `#probe` in the URL the page exercises itself and writes what it saw into
// `body[data-probe]`, so a headless browser test can check the script ran without errors.
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var charts = [];
  var tip = document.createElement("div");
  tip.className = "tip";
  tip.style.display = "none";
  document.body.appendChild(tip);

  function fmt(v) {
    if (v === null || v === undefined || isNaN(v)) return "–";
    var a = Math.abs(v);
    if (a >= 100) return v.toFixed(0);
    if (a >= 1) return v.toFixed(2);
    return v.toPrecision(3);
  }
  function percentile(x) {
    var q = 100 * (1 - Math.pow(10, -x));
    return "p" + q.toFixed(q >= 99.9 ? 3 : q >= 99 ? 2 : 1).replace(/\.?0+$/, "");
  }
  function viewX(svg, clientX) {
    var r = svg.getBoundingClientRect();
    return ((clientX - r.left) * svg.viewBox.baseVal.width) / Math.max(r.width, 1);
  }
  function el(name, attrs) {
    var node = document.createElementNS(NS, name);
    for (var key in attrs) node.setAttribute(key, attrs[key]);
    return node;
  }
  // The index of the point of `points` (sorted by x) nearest to `x`.
  function nearest(points, x) {
    var lo = 0, hi = points.length - 1;
    if (hi < 0) return -1;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (points[mid][0] < x) lo = mid + 1; else hi = mid;
    }
    if (lo > 0 && Math.abs(points[lo - 1][0] - x) <= Math.abs(points[lo][0] - x)) lo -= 1;
    return lo;
  }
  // Round ticks between a and b: steps of 1, 2 or 5 times a power of ten.
  function ticks(a, b) {
    var span = Math.max(b - a, 1e-9), rough = span / 5;
    var power = Math.pow(10, Math.floor(Math.log(rough) / Math.LN10));
    var step = [1, 2, 5, 10].map(function (m) { return m * power; })
      .filter(function (s) { return s >= rough; })[0];
    var out = [];
    for (var t = Math.ceil(a / step) * step; t <= b + 1e-9; t += step) out.push(t);
    return out;
  }

  function Chart(svg) {
    var d = JSON.parse(svg.getAttribute("data-chart"));
    this.svg = svg;
    this.d = d;
    this.x0 = 0;
    this.x1 = d.xmax;
    this.lines = svg.querySelectorAll("polyline.series");
    this.cross = el("line", { y1: d.m, y2: d.h - d.m, stroke: "#555", "stroke-dasharray": "3,3" });
    this.cross.style.display = "none";
    svg.appendChild(this.cross);
    this.sel = el("rect", { y: d.m, height: d.ph, fill: "#0072B2", "fill-opacity": "0.15" });
    this.sel.style.display = "none";
    svg.appendChild(this.sel);
    var self = this;
    svg.addEventListener("mousemove", function (ev) { self.hover(ev); });
    svg.addEventListener("mouseleave", function () { self.leave(); });
    if (d.kind === "time") {
      svg.addEventListener("mousedown", function (ev) { self.start = viewX(svg, ev.clientX); ev.preventDefault(); });
      svg.addEventListener("mouseup", function (ev) { self.end(ev); });
      svg.addEventListener("dblclick", function () { zoomAll(null, null); });
    }
  }
  Chart.prototype.toX = function (v) {
    return this.x0 + ((v - this.d.m) / this.d.w) * (this.x1 - this.x0);
  };
  Chart.prototype.toV = function (x) {
    return this.d.m + (this.d.w * (x - this.x0)) / Math.max(this.x1 - this.x0, 1e-9);
  };
  Chart.prototype.toY = function (y) {
    var d = this.d, t = d.logy ? Math.log(Math.max(y, 0.01)) / Math.LN10 : y;
    return d.h - d.m - (d.ph * (t - d.ylow)) / d.yspan;
  };
  // What the chart shows at view x `v`: the x label and each series' value.
  Chart.prototype.at = function (v) {
    var x = this.toX(v), d = this.d, rows = [], snap = null;
    d.series.forEach(function (s) {
      var i = nearest(s.points, x);
      if (i < 0) return;
      if (snap === null) snap = s.points[i][0];
      rows.push({ name: s.name, color: s.color, value: s.points[i][1] });
    });
    var label = snap === null ? "" : d.kind === "percentile" ? percentile(snap) : snap + " s";
    return { x: snap, label: label, rows: rows };
  };
  Chart.prototype.hover = function (ev) {
    var v = viewX(this.svg, ev.clientX), d = this.d;
    if (this.start !== undefined) {
      this.sel.style.display = "";
      this.sel.setAttribute("x", Math.min(this.start, v));
      this.sel.setAttribute("width", Math.abs(v - this.start));
    }
    if (v < d.m || v > d.m + d.w) return this.leave();
    var seen = this.at(v);
    if (seen.x === null) return this.leave();
    var cx = this.toV(seen.x);
    this.cross.setAttribute("x1", cx);
    this.cross.setAttribute("x2", cx);
    this.cross.style.display = "";
    var html = "<b>" + seen.label + "</b>";
    seen.rows.forEach(function (row) {
      html += "<br><span style=\"color:" + row.color + "\">■</span> " + row.name + ": " + fmt(row.value) + " " + d.unit;
    });
    tip.innerHTML = html;
    tip.style.display = "block";
    tip.style.left = ev.pageX + 14 + "px";
    tip.style.top = ev.pageY + 14 + "px";
    return seen;
  };
  Chart.prototype.leave = function () {
    this.cross.style.display = "none";
    tip.style.display = "none";
    return null;
  };
  Chart.prototype.end = function (ev) {
    var a = this.start, b = viewX(this.svg, ev.clientX);
    this.start = undefined;
    this.sel.style.display = "none";
    if (a === undefined || Math.abs(b - a) < 5) return;
    zoomAll(this.toX(Math.min(a, b)), this.toX(Math.max(a, b)));
  };
  // Redraws the lines, fault bands and x ticks for the seconds [x0, x1].
  Chart.prototype.zoom = function (x0, x1) {
    var self = this, d = this.d;
    this.x0 = x0 === null ? 0 : Math.max(0, x0);
    this.x1 = x1 === null ? d.xmax : Math.min(d.xmax, x1);
    d.series.forEach(function (s, i) {
      var line = self.lines[i];
      if (!line) return;
      var shown = s.points.filter(function (p) { return p[0] >= self.x0 && p[0] <= self.x1; });
      line.setAttribute("points", shown.map(function (p) {
        return self.toV(p[0]).toFixed(1) + "," + self.toY(p[1]).toFixed(1);
      }).join(" "));
    });
    [].forEach.call(this.svg.querySelectorAll("rect.fault"), function (band) {
      var a = Math.max(+band.getAttribute("data-start"), self.x0);
      var b = Math.min(+band.getAttribute("data-end"), self.x1);
      band.style.display = b < a ? "none" : "";
      band.setAttribute("x", self.toV(a));
      band.setAttribute("width", Math.max(self.toV(b) - self.toV(a), 1));
    });
    [].forEach.call(this.svg.querySelectorAll(".xtick"), function (node) { node.remove(); });
    ticks(this.x0, this.x1).forEach(function (t) {
      var x = self.toV(t).toFixed(1);
      self.svg.insertBefore(el("line", { class: "xtick", x1: x, x2: x, y1: d.m, y2: d.h - d.m, stroke: "#f0f0f0" }), self.svg.firstChild.nextSibling);
      var label = el("text", { class: "xtick", x: x, y: d.h - d.m + 12, "font-size": 10, "text-anchor": "middle" });
      label.textContent = +t.toFixed(3) + "";
      self.svg.appendChild(label);
    });
    this.svg.setAttribute("data-zoom", this.x0 + "-" + this.x1);
  };
  function zoomAll(x0, x1) {
    charts.forEach(function (chart) {
      if (chart.d.kind === "time") chart.zoom(x0, x1);
    });
  }

  [].forEach.call(document.querySelectorAll("svg.chart[data-chart]"), function (svg) {
    charts.push(new Chart(svg));
  });

  // Self-test for headless browsers: hover the middle of every chart, then zoom the time
  // charts to their first half and back.
  if (location.hash === "#probe") {
    var probe = { charts: charts.length, hovered: [], zoomed: [] };
    charts.forEach(function (chart) {
      var seen = chart.at(chart.d.m + chart.d.w / 2);
      probe.hovered.push(seen.label + " " + seen.rows.map(function (r) { return r.name + "=" + fmt(r.value); }).join(","));
    });
    var time = charts.filter(function (c) { return c.d.kind === "time"; });
    if (time.length) {
      zoomAll(0, time[0].d.xmax / 2);
      time.forEach(function (c) { probe.zoomed.push(c.svg.getAttribute("data-zoom")); });
      zoomAll(null, null);
    }
    document.body.setAttribute("data-probe", JSON.stringify(probe));
  }
})();

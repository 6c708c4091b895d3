// Small SVG charts drawn in plain JS (no library: the dashboard has no build step and no CDN).
"use strict";
(function () {
  const NS = "http://www.w3.org/2000/svg";
  const W = 600, H = 180, PAD = { l: 40, r: 10, t: 10, b: 22 };

  function el(name, attrs, parent) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (parent) parent.appendChild(node);
    return node;
  }

  function frame(container, maxY, labels) {
    container.textContent = "";
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", role: "img" }, container);
    const ticks = 4;
    for (let i = 0; i <= ticks; i++) {
      const y = PAD.t + (H - PAD.t - PAD.b) * (1 - i / ticks);
      el("line", { x1: PAD.l, x2: W - PAD.r, y1: y, y2: y, class: i === 0 ? "axis" : "grid" }, svg);
      const t = el("text", { x: PAD.l - 4, y: y + 3, "text-anchor": "end" }, svg);
      t.textContent = formatNumber((maxY * i) / ticks);
    }
    if (labels.length) {
      const first = el("text", { x: PAD.l, y: H - 6 }, svg);
      first.textContent = labels[0];
      const last = el("text", { x: W - PAD.r, y: H - 6, "text-anchor": "end" }, svg);
      last.textContent = labels[labels.length - 1];
    }
    return svg;
  }

  function formatNumber(v) {
    if (v >= 100) return Math.round(v).toString();
    if (v >= 10) return v.toFixed(0);
    return v.toFixed(1);
  }

  function shortTime(iso) {
    const d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function empty(container, text) {
    container.textContent = "";
    const p = document.createElement("p");
    p.className = "muted";
    p.textContent = text;
    container.appendChild(p);
  }

  // points: [{at, y (number|null), bad}]
  function line(container, points, emptyText) {
    const usable = points.filter((p) => typeof p.y === "number");
    if (!usable.length) return empty(container, emptyText);
    const maxY = Math.max(1, ...usable.map((p) => p.y)) * 1.1;
    const svg = frame(container, maxY, [shortTime(points[0].at), shortTime(points[points.length - 1].at)]);
    const x = (i) => PAD.l + ((W - PAD.l - PAD.r) * (points.length === 1 ? 0.5 : i / (points.length - 1)));
    const y = (v) => PAD.t + (H - PAD.t - PAD.b) * (1 - v / maxY);
    const d = points
      .map((p, i) => (typeof p.y === "number" ? `${x(i)},${y(p.y)}` : null))
      .filter(Boolean)
      .join(" ");
    el("polyline", { points: d, class: "line" }, svg);
    points.forEach((p, i) => {
      if (typeof p.y !== "number") return;
      const c = el("circle", { cx: x(i), cy: y(p.y), r: 3, class: p.bad ? "dot failed" : "dot" }, svg);
      el("title", {}, c).textContent = `${p.at}: ${formatNumber(p.y)}`;
    });
  }

  // points: [{at, y (0..100|null), label}]
  function bars(container, points, emptyText) {
    const usable = points.filter((p) => typeof p.y === "number");
    if (!usable.length) return empty(container, emptyText);
    const svg = frame(container, 100, [shortTime(points[0].at), shortTime(points[points.length - 1].at)]);
    // At least 12 slots, so one early bucket does not fill the whole chart.
    const slot = (W - PAD.l - PAD.r) / Math.max(points.length, 12);
    points.forEach((p, i) => {
      if (typeof p.y !== "number") return;
      const h = (H - PAD.t - PAD.b) * (p.y / 100);
      const r = el("rect", {
        x: PAD.l + i * slot + slot * 0.15, y: H - PAD.b - h, width: Math.max(1, slot * 0.7), height: h,
        class: p.y < 95 ? "bar low" : "bar",
      }, svg);
      el("title", {}, r).textContent = `${p.at}: ${p.label}`;
    });
  }

  window.SelvedgeCharts = { line, bars };
})();

// Charts on a thing page, and cards' sparklines (uPlot, static/vendor/uplot). The server draws the panels; this
// script fetches each chart's compact JSON (readings.charts), draws it, and appends the live
// value of every thing frame the page's socket brings (live.js dispatches "live:thing").
// Panels redrawn live (a "live:fragment" event) get their charts drawn again.
(() => {
  "use strict";

  const PALETTE = ["#0b63ce", "#d9480f", "#2b8a3e", "#862e9c", "#c92a2a", "#1098ad", "#e67700"];
  const DARK_PALETTE = ["#4c9bff", "#ff8a4c", "#4ac26b", "#c77dff", "#ff6b6b", "#3bc9db", "#ffc94c"];
  const HEIGHT = 220;
  const charts = new Map(); // figure → {plot, keys, data, live}
  // Thing → [time, state] of the frames its live charts were given. A redrawn panel reloads
  // its chart from the stored samples (one per 10 s): these put back what came since.
  const tails = new Map();
  const TAIL = 2000;

  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const dark = () => window.matchMedia("(prefers-color-scheme: dark)").matches;
  const colour = (i) => (dark() ? DARK_PALETTE : PALETTE)[i % PALETTE.length];
  const width = (el) => Math.max(240, Math.floor(el.getBoundingClientRect().width) || 600);

  function axes(unit) {
    const stroke = css("--muted") || "#5b6570";
    const grid = { stroke: css("--border") || "#d9dee4", width: 1 };
    const ticks = { stroke: css("--border") || "#d9dee4", width: 1 };
    return [
      { stroke, grid, ticks },
      { stroke, grid, ticks, size: 56, label: unit || "", labelSize: unit ? 18 : 0 },
    ];
  }

  function fmt(value, unit) {
    if (value === null || value === undefined) return "–";
    return `${Math.round(value * 100) / 100} ${unit}`.trim();
  }

  // ---- readings charts --------------------------------------------------------------------

  function columns(answer, keys) {
    const banded = answer.step > 0;
    const cols = [answer.t.slice()];
    const series = [{}];
    const bands = [];
    const meta = Object.fromEntries(answer.series.map((s) => [s.key, s]));
    keys.forEach((key, i) => {
      const values = answer.data[key] || { avg: [] };
      const label = meta[key]?.label || key;
      const unit = meta[key]?.unit || "";
      cols.push(values.avg.slice());
      series.push({ label, stroke: colour(i), width: 2, spanGaps: false, value: (u, v) => fmt(v, unit) });
      if (banded) {
        cols.push(values.min.slice(), values.max.slice());
        const faint = colour(i) + "55";
        series.push({ label: `${label} min`, stroke: faint, width: 1, value: (u, v) => fmt(v, unit) });
        series.push({ label: `${label} max`, stroke: faint, width: 1, value: (u, v) => fmt(v, unit) });
        bands.push({ series: [series.length - 1, series.length - 2], fill: colour(i) + "33" });
      }
    });
    return { cols, series, bands, banded };
  }

  function draw(figure, answer, liveRange) {
    const keys = figure.dataset.series.split(",");
    const plotEl = figure.querySelector("[data-chart-plot]");
    charts.get(figure)?.plot.destroy();
    plotEl.textContent = "";
    const { cols, series, bands, banded } = columns(answer, keys);
    const thing = figure.closest("[data-charts]")?.dataset.chartThing;
    if (liveRange && thing) {
      if (!tails.has(thing)) tails.set(thing, []);
      const stored = cols[0].length ? cols[0][cols[0].length - 1] : answer.start;
      for (const [t, state] of tails.get(thing)) {
        if (t > stored && keys.some((key) => typeof state?.[key] === "number")) push(cols, keys, banded, t, state);
      }
    }
    const opts = {
      width: width(plotEl),
      height: HEIGHT,
      series,
      bands,
      axes: axes(figure.dataset.unit),
      scales: { x: { time: true, range: () => [answer.start, Math.max(answer.end, Date.now() / 1000)] } },
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    };
    const plot = new uPlot(opts, cols, plotEl);
    const state = { plot, keys, cols, banded, live: liveRange, start: answer.start, thing };
    charts.set(figure, state);
    figure.dataset.points = String(cols[0].length);
    const unit = figure.dataset.unit || "";
    const last = lastValues(keys, cols, banded);
    figure.querySelector("[data-chart-latest]").textContent = last.length
      ? `Latest: ${last.map(([label, v]) => `${label} ${fmt(v, unit)}`).join(", ")}`
      : "No readings in this range yet.";
  }

  function lastValues(keys, cols, banded) {
    const found = [];
    keys.forEach((key, i) => {
      const col = cols[1 + i * (banded ? 3 : 1)];
      for (let j = col.length - 1; j >= 0; j--) {
        if (col[j] !== null) {
          found.push([key, col[j]]);
          break;
        }
      }
    });
    return found;
  }

  async function load(panel, range, extra = "") {
    const note = panel.closest("section")?.querySelector("[data-chart-note]");
    const figures = [...panel.querySelectorAll("[data-chart]")];
    const keys = figures.flatMap((f) => f.dataset.series.split(","));
    panel.dataset.range = range;
    // Keep the frames that come while the stored samples load: draw() puts them back.
    const thing = panel.dataset.chartThing;
    if (range !== "custom" && thing && !tails.has(thing)) tails.set(thing, []);
    if (note) note.textContent = "Loading…";
    try {
      const url = `${panel.dataset.url}?range=${encodeURIComponent(range)}&series=${encodeURIComponent(keys.join(","))}${extra}`;
      const r = await fetch(url, { headers: { Accept: "application/json" } });
      const answer = await r.json();
      if (!r.ok) throw new Error(answer.error || "The readings could not be loaded.");
      figures.forEach((figure) => draw(figure, answer, range !== "custom"));
      const words = { 0: "every sample", 300: "5-minute min / average / max", 3600: "hourly min / average / max" };
      if (note) note.textContent = `Showing ${words[answer.step] || ""}${range !== "custom" ? ", live" : ""}.`;
    } catch (error) {
      if (note) note.textContent = error.message || "The readings could not be loaded.";
    }
  }

  // One frame's values as a point of a chart's columns (a banded chart's band is the value).
  function push(cols, keys, banded, t, state) {
    cols[0].push(t);
    keys.forEach((key, i) => {
      const value = typeof state?.[key] === "number" ? state[key] : null;
      const base = 1 + i * (banded ? 3 : 1);
      cols[base].push(value);
      if (banded) {
        cols[base + 1].push(value);
        cols[base + 2].push(value);
      }
    });
  }

  function append(frame) {
    const now = Date.now() / 1000;
    const tail = tails.get(String(frame.id));
    if (tail) {
      tail.push([now, frame.state]);
      if (tail.length > TAIL) tail.shift();
    }
    for (const [figure, chart] of charts) {
      if (!figure.isConnected) {
        chart.plot.destroy();
        charts.delete(figure);
        continue;
      }
      if (!chart.live || chart.thing !== String(frame.id)) continue;
      const values = chart.keys.map((key) => frame.state?.[key]);
      if (!values.some((v) => typeof v === "number")) continue;
      push(chart.cols, chart.keys, chart.banded, now, frame.state);
      chart.plot.setData(chart.cols);
      figure.dataset.points = String(chart.cols[0].length);
      const latest = figure.querySelector("[data-chart-latest]");
      if (latest) {
        const last = lastValues(chart.keys, chart.cols, chart.banded);
        const unit = figure.dataset.unit || "";
        latest.textContent = `Latest: ${last.map(([label, v]) => `${label} ${fmt(v, unit)}`).join(", ")}`;
      }
    }
    for (const el of document.querySelectorAll("[data-live-power]")) {
      const thing = el.closest("[data-fragment]")?.parentElement?.closest("[data-thing-page]");
      const value = frame.state?.[el.dataset.livePower];
      if (thing?.dataset.thingPage === String(frame.id) && typeof value === "number") {
        el.textContent = String(value);
      }
    }
  }

  // ---- energy bars ------------------------------------------------------------------------

  function drawBars(figure) {
    const source = document.getElementById(figure.dataset.energySource);
    if (!source) return;
    const bars = JSON.parse(source.textContent)[figure.dataset.energyBars] || [];
    const plotEl = figure.querySelector("[data-chart-plot]");
    charts.get(figure)?.plot.destroy();
    plotEl.textContent = "";
    const x = bars.map(([day]) => Date.parse(`${day}T12:00:00`) / 1000);
    const y = bars.map(([, kwh]) => kwh);
    const monthly = figure.dataset.energyBars === "months";
    const plot = new uPlot({
      width: width(plotEl),
      height: HEIGHT,
      series: [
        { value: (u, v) => (v ? new Date(v * 1000).toLocaleDateString(undefined, monthly ? { year: "numeric", month: "short" } : {}) : "–") },
        { label: "kWh", fill: colour(0) + "cc", stroke: colour(0), paths: uPlot.paths.bars({ size: [0.7, 40] }), points: { show: false }, value: (u, v) => fmt(v, "kWh") },
      ],
      axes: axes("kWh"),
      scales: { x: { time: true }, y: { range: (u, lo, hi) => [0, Math.max(1, hi * 1.1)] } },
      cursor: { drag: { x: false, y: false } },
    }, [x, y], plotEl);
    charts.set(figure, { plot, keys: [], cols: [x, y], banded: false, live: false });
    figure.dataset.bars = String(y.filter((v) => v > 0).length);
  }

  // ---- card sparklines (the plugin names the series): drawn when the card scrolls into view

  async function drawSpark(el) {
    const key = el.dataset.sparkline;
    try {
      const url = `${el.dataset.sparklineUrl}?range=24h&series=${encodeURIComponent(key)}`;
      const r = await fetch(url, { headers: { Accept: "application/json" } });
      if (!r.ok) return;
      const answer = await r.json();
      const cols = [answer.t.slice(), (answer.data[key]?.avg || []).slice()];
      charts.get(el)?.plot.destroy();
      el.textContent = "";
      const plot = new uPlot({
        width: width(el), height: 36, legend: { show: false }, cursor: { show: false },
        axes: [{ show: false }, { show: false }],
        scales: { x: { time: true, range: () => [answer.start, Math.max(answer.end, Date.now() / 1000)] } },
        series: [{}, { stroke: colour(0), width: 1.5, fill: colour(0) + "22", points: { show: false } }],
      }, cols, el);
      charts.set(el, { plot, keys: [key], cols, banded: false, live: true, thing: el.closest("[data-thing]")?.dataset.thing });
      el.dataset.points = String(cols[0].length);
    } catch {
      // A card without its line is still a card: nothing to say.
    }
  }

  const sparkObserver = "IntersectionObserver" in window
    ? new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        sparkObserver.unobserve(entry.target);
        drawSpark(entry.target);
      }
    }, { rootMargin: "200px" })
    : null;

  // ---- wiring -----------------------------------------------------------------------------

  function setUp(root) {
    if (typeof uPlot === "undefined") return;
    const panels = root.matches?.("[data-charts]") ? [root] : root.querySelectorAll("[data-charts]");
    for (const panel of panels) load(panel, panel.dataset.range || "24h");
    const bars = root.matches?.("[data-energy-bars]") ? [root] : root.querySelectorAll("[data-energy-bars]");
    for (const figure of bars) drawBars(figure);
    const sparks = root.matches?.("[data-sparkline]") ? [root] : root.querySelectorAll("[data-sparkline]");
    for (const el of sparks) sparkObserver ? sparkObserver.observe(el) : drawSpark(el);
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-chart-range]");
    if (!button) return;
    const section = button.closest("section");
    section.querySelectorAll("[data-chart-range]").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
    section.querySelectorAll("[data-charts]").forEach((panel) => load(panel, button.dataset.chartRange));
  });

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("[data-chart-custom]");
    if (!form) return;
    event.preventDefault();
    const start = form.elements.start.value;
    const end = form.elements.end.value;
    const section = form.closest("section");
    section.querySelectorAll("[data-chart-range]").forEach((b) => b.setAttribute("aria-pressed", "false"));
    // Whole days in the browser's zone: from the start of one to the end of the other.
    const from = new Date(`${start}T00:00:00`).toISOString();
    const to = new Date(new Date(`${end}T00:00:00`).getTime() + 86400000).toISOString();
    const extra = `&start=${encodeURIComponent(from)}&end=${encodeURIComponent(to)}`;
    section.querySelectorAll("[data-charts]").forEach((panel) => load(panel, "custom", extra));
  });

  // "Fetch now" is posted from here, the page staying put: the meter's answer comes as a
  // redrawn panel over this page's socket, which a reload could miss.
  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("[data-energy-fetch]");
    if (!form) return;
    event.preventDefault();
    const status = form.parentElement.querySelector("[data-energy-status]");
    const token = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
    try {
      const r = await fetch(form.action, {
        method: "POST", body: new FormData(form), headers: { "X-CSRFToken": token, Accept: "application/json" },
      });
      const answer = await r.json().catch(() => ({}));
      status.textContent = answer.message || (r.status === 403 ? "Members and up can ask the meter." : "That did not work; try again.");
    } catch {
      status.textContent = "The dashboard could not be reached; nothing was asked.";
    }
  });

  document.addEventListener("live:thing", (event) => append(event.detail));
  document.addEventListener("live:fragment", (event) => setUp(event.detail));
  document.addEventListener("htmx:load", (event) => setUp(event.detail.elt)); // lazy rooms
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      for (const [figure, chart] of charts) {
        const plotEl = figure.querySelector("[data-chart-plot]");
        chart.plot.setSize({ width: width(plotEl), height: HEIGHT });
      }
    }, 150);
  });
  setUp(document);
})();

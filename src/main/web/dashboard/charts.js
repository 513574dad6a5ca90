// Live charts of the last 5 minutes (uPlot, the global `uPlot` of assets/uPlot.iife.min.js), fed by
// the server-sent events of admin/stream: a `history` event first (each node's kept samples), then
// a `sample` event every interval ({t, nodes: {address: sample | null}}).
//
// The stream is open only while the Charts view is shown: the history event on opening refills
// the window, and a hidden page holds none of the node's few stream slots.

import { shortNode, el, number } from "./util.js";

const WINDOW_MS = 5 * 60 * 1000;
const RETRY_MS = 5000;
const HEIGHT = 180;
const COLOURS = ["#4a5bdc", "#e8711a", "#1a9f6a", "#c62828", "#8e44ad", "#0097a7", "#a15c00", "#5d6d7e"];
const MIB = 1024 * 1024;

// `total`: the cluster line (the sum over nodes) makes sense; latencies and heap have none.
const CHARTS = [
  { id: "connections", title: "Connections", value: (s) => s.connections, total: true },
  { id: "joins", title: "Joins / s", value: (s) => s.joins_per_s, total: true },
  { id: "publishes", title: "Publishes / s", value: (s) => s.publishes_per_s, total: true },
  { id: "deliveries", title: "Deliveries / s", value: (s) => s.deliveries_per_s, total: true },
  // In the node: from a publish sequenced to its frame queued for the last member there. Whether
  // the rooms keep up; what clients wait for on top (the sockets' writes) is not in it.
  { id: "fanout-p50", title: "Fan-out latency p50 (ms)", hint: "publish sequenced \u2192 queued for the node's last member", value: (s) => s.fanout_p50_ms },
  { id: "fanout-p99", title: "Fan-out latency p99 (ms)", hint: "publish sequenced \u2192 queued for the node's last member", value: (s) => s.fanout_p99_ms },
  { id: "slow-closes", title: "Slow-consumer closes / s", value: (s) => s.slow_closes_per_s, total: true },
  { id: "refused", title: "Refused connections / s by reason (cluster)", byReason: true },
  { id: "cross-node", title: "Cross-node deliveries / s", value: (s) => s.cross_node_per_s, total: true },
  { id: "heap", title: "Heap used (MiB)", value: (s) => (s.heap_used_bytes == null ? null : s.heap_used_bytes / MIB) },
  { id: "cpu", title: "CPU (cores used)", value: (s) => s.cpu_cores_used },
];

// The window: bucket times (ms, ascending) and, per time, each node's sample (or null).
let intervalMs = 1000;
let times = [];
const rows = new Map();
const plots = new Map(); // chart id -> { plot, key } (key: the series it was made with)
let source = null;
let retry = null;
let visible = false;

export function showCharts() {
  visible = true;
  if (!source) connect();
  draw();
}

export function hideCharts() {
  visible = false;
  clearTimeout(retry);
  if (source) { source.close(); source = null; }
}

function setStatus(text, err = false) {
  const s = document.getElementById("stream-status");
  s.textContent = text;
  s.className = err ? "err" : "muted";
}

function connect() {
  setStatus("connecting...");
  const es = source = new EventSource("admin/stream");
  es.addEventListener("history", (e) => { onHistory(JSON.parse(e.data)); setStatus("live"); });
  es.addEventListener("sample", (e) => { onSample(JSON.parse(e.data)); setStatus(`live, ${new Date().toLocaleTimeString()}`); });
  es.onerror = () => {
    if (es !== source) return;
    // CLOSED: refused (401 session gone, 503 too many streams) or not an event stream; the
    // browser does not retry those, so this does, while the view is shown and the session lives.
    if (es.readyState === EventSource.CLOSED) {
      source = null;
      if (!document.getElementById("session-banner").hidden) { setStatus("session ended", true); return; }
      setStatus(`the stream was refused or ended; retrying in ${RETRY_MS / 1000} s`, true);
      retry = setTimeout(() => { if (visible && !source) connect(); }, RETRY_MS);
    } else {
      setStatus("reconnecting...", true);
    }
  };
}

const bucket = (t) => Math.round(t / intervalMs) * intervalMs;

/**
 * The slot of a sample event: one interval after the last one when it arrives about then (so that
 * the jitter of the server's timer never leaves a gap or puts two events in one slot), else its
 * own time rounded to the interval (the first event, or one after a pause).
 */
function slot(t) {
  const last = times[times.length - 1];
  return last != null && Math.abs(t - (last + intervalMs)) < intervalMs / 2 ? last + intervalMs : bucket(t);
}

function put(t, address, sample) {
  if (!rows.has(t)) {
    rows.set(t, new Map());
    times.push(t);
  }
  rows.get(t).set(address, sample);
}

/** Puts the times in order again (after put()s) and drops those older than the window. */
function trim() {
  times.sort((a, b) => a - b);
  const oldest = times[times.length - 1] - WINDOW_MS;
  while (times.length && times[0] < oldest) rows.delete(times.shift());
}

function onHistory(h) {
  intervalMs = h.interval_ms || 1000;
  times = [];
  rows.clear();
  // Each node samples on its own timer: their samples are lined up from the newest back, one
  // interval apart (a node's ring has one per interval), so that the cluster line adds samples of
  // the same moment.
  const lists = Object.entries(h.nodes || {}).filter(([, samples]) => samples.length);
  const end = bucket(Math.max(...lists.map(([, samples]) => samples[samples.length - 1].t)));
  for (const [address, samples] of lists) {
    samples.forEach((s, i) => put(end - (samples.length - 1 - i) * intervalMs, address, s));
  }
  trim();
  draw();
}

function onSample(e) {
  const t = slot(e.t);
  for (const [address, s] of Object.entries(e.nodes || {})) put(t, address, s);
  trim();
  draw();
}

/** Every node in the window, in address order (the colours stay put while the window slides). */
function nodesInWindow() {
  const all = new Set();
  for (const m of rows.values()) for (const a of m.keys()) all.add(a);
  return [...all].sort();
}

/** The chart's lines: [{label, values}] over `times`. */
function lines(chart, nodes) {
  const at = (t, a) => rows.get(t).get(a);
  if (chart.byReason) {
    const reasons = new Set();
    for (const m of rows.values()) for (const s of m.values()) if (s && s.refused_per_s) Object.keys(s.refused_per_s).forEach((r) => reasons.add(r));
    return [...reasons].sort().map((r) => ({ label: r, values: times.map((t) => sum(nodes.map((a) => at(t, a)?.refused_per_s?.[r]))) }));
  }
  const perNode = nodes.map((a) => ({ label: shortNode(a), values: times.map((t) => { const s = at(t, a); return s ? chart.value(s) ?? null : null; }) }));
  if (!chart.total || nodes.length < 2) return perNode;
  return [...perNode, { label: "cluster", values: times.map((_, i) => sum(perNode.map((l) => l.values[i]))), total: true }];
}

/** The sum of the numbers present; null when none is (no node answered). */
function sum(values) {
  const present = values.filter((v) => v != null);
  return present.length ? present.reduce((a, b) => a + b, 0) : null;
}

function draw() {
  if (!visible) return;
  const container = document.getElementById("charts");
  const nodes = nodesInWindow();
  const xs = times.map((t) => t / 1000);
  for (const chart of CHARTS) {
    let box = document.getElementById(`chart-${chart.id}`);
    if (!box) {
      box = el("div", { class: "chart", id: `chart-${chart.id}`, "data-testid": `chart-${chart.id}` }, el("h3", chart.hint ? { title: chart.hint } : {}, chart.title), el("div", { class: "plot" }));
      container.append(box);
    }
    box.dataset.points = String(times.length);
    const ls = lines(chart, nodes);
    const key = ls.map((l) => l.label).join("|");
    const data = [xs, ...ls.map((l) => l.values)];
    const current = plots.get(chart.id);
    if (current && current.key === key) {
      current.plot.setData(data);
      continue;
    }
    if (current) current.plot.destroy();
    const plotBox = box.querySelector(".plot");
    const plot = new uPlot(options(ls, plotBox.clientWidth || 300), data, plotBox);
    plots.set(chart.id, { plot, key });
  }
}

/**
 * Without the cursor on the chart, its legend shows the newest values: uPlot clears the legend
 * ("--") whenever the cursor is off, after each new sample too, and this puts the newest back
 * (without firing the hook again).
 */
function showNewest(u) {
  const n = u.data[0].length;
  if (n && u.legend.idx == null && u.cursor.idx == null) u.setLegend({ idx: n - 1 }, false);
}

function options(ls, width) {
  return {
    width,
    height: HEIGHT,
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    // Clock times only: uPlot's default adds a second row of dates, which crowds a narrow chart.
    axes: [{ space: 70, values: (u, ticks) => ticks.map((t) => new Date(t * 1000).toLocaleTimeString([], { hour12: false })) }, { size: 50 }],
    hooks: { setLegend: [showNewest] },
    series: [{}, ...ls.map((l, i) => ({
      label: l.label,
      stroke: l.total ? "#222" : COLOURS[i % COLOURS.length],
      dash: l.total ? [6, 4] : undefined,
      width: 1.5,
      points: { show: false },
      value: (u, v) => number(v, 2), // the legend's figure: "–" for none, two decimals at most
    }))],
  };
}

// Charts follow their box's width (a rotated phone, a resized window).
new ResizeObserver(() => {
  for (const [id, { plot }] of plots) {
    const w = document.querySelector(`#chart-${id} .plot`)?.clientWidth;
    if (w && w !== plot.width) plot.setSize({ width: w, height: HEIGHT });
  }
}).observe(document.getElementById("charts"));

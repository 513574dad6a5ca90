// Overview: one card per cluster member (GET admin/nodes, every REFRESH_MS), with a Drain button.
// A member without stats (it did not answer in time) or seen as unreachable is greyed out.

import { api, el, fill, shortNode, bytes, duration, number, plural, confirmAction, showResult } from "./util.js";

const REFRESH_MS = 2000;
const DRAINABLE = ["Up", "WeaklyUp"]; // a member already leaving (or not yet in) has nothing to drain
let timer = null;
let last = null; // the last answer, for the drain dialog's connection count

export function startOverview() {
  document.getElementById("view-overview").addEventListener("click", onClick);
  refresh();
}

/** Refreshes now, then every REFRESH_MS after each answer (never two requests at once). */
export async function refresh() {
  clearTimeout(timer);
  const status = document.getElementById("overview-status");
  try {
    last = await api("GET", "admin/nodes");
    render(last);
    status.textContent = `updated ${new Date().toLocaleTimeString()}`;
    status.className = "muted";
  } catch (e) {
    status.textContent = `could not load the nodes: ${e.message}`;
    status.className = "err";
  } finally {
    timer = setTimeout(refresh, REFRESH_MS);
  }
}

function render(answer) {
  const nodes = answer.nodes || [];
  const withStats = nodes.filter((n) => n.stats);
  const connections = withStats.reduce((sum, n) => sum + (n.stats.connections || 0), 0);
  const up = nodes.filter((n) => n.status === "Up").length;
  const unreachable = nodes.filter((n) => !n.reachable).length;
  const summary = document.getElementById("cluster-summary");
  fill(summary,
    el("span", { id: "total-nodes", "data-value": nodes.length }, plural(nodes.length, "node")), ` (${up} up`,
    unreachable ? el("span", { class: "err", id: "total-unreachable" }, `, ${unreachable} unreachable`) : null, "), ",
    el("span", { id: "total-connections", "data-value": connections }, plural(connections, "connection")),
    answer.answered < answer.asked ? el("span", { class: "err" }, `, ${answer.asked - answer.answered} did not answer`) : null);
  fill(document.getElementById("nodes"), nodes.map((n) => card(n, answer.self)));
}

function card(n, self) {
  const s = n.stats;
  const absent = !n.reachable || !s;
  const tags = [
    el("span", { class: `tag ${n.status === "Up" ? "good" : "warn"}`, "data-field": "status" }, n.status),
    n.reachable ? null : el("span", { class: "tag bad", "data-field": "unreachable" }, "unreachable"),
    s ? null : el("span", { class: "tag bad", "data-field": "no-answer" }, "no answer"),
    s && s.draining ? el("span", { class: "tag warn", "data-field": "draining" }, "draining") : null,
    n.address === self ? el("span", { class: "tag" }, "this node") : null,
    n.leader ? el("span", { class: "tag" }, "leader") : null,
    n.oldest ? el("span", { class: "tag" }, "oldest") : null,
  ];
  const rows = [["roles", (n.roles || []).join(", ") || "–"]];
  if (s) {
    rows.push(
      ["version", s.version],
      ["uptime", duration(s.uptime_seconds)],
      ["connections", number(s.connections), "connections"],
      ["long-poll", number(s.longpoll_sessions)],
      ["rooms", `${number(s.rooms)} (${plural(s.room_entities, "entity", "entities")} here)`],
      ["heap", `${bytes(s.heap_used_bytes)} of ${bytes(s.heap_max_bytes)}, ${bytes(s.heap_after_gc_bytes)} after GC`],
      ["GC", `${number(s.gc_count)} collections, ${number(s.gc_seconds, 2)} s`],
      ["CPU", `${number(s.cpu_cores_used, 2)} of ${number(s.cpus)} cores`]);
  }
  const draining = !!(s && s.draining);
  // A drain is a request to the node itself: an unreachable one cannot take it. The cluster downs
  // it after the resolver's stable-after, and it is removed.
  const why = draining ? "draining already" : !n.reachable ? "unreachable: the cluster will down and remove it"
    : !DRAINABLE.includes(n.status) ? `${n.status}: nothing to drain` : "";
  return el("article", {
    class: absent ? "node absent" : "node", "data-testid": "node", "data-address": n.address,
    "data-status": n.status, "data-reachable": n.reachable, "data-draining": draining,
    "data-connections": s ? s.connections : null,
  },
  el("div", { class: "title" }, el("b", { title: n.address }, shortNode(n.address)), tags),
  el("dl", {}, rows.map(([k, v, field]) => [el("dt", {}, k), el("dd", { "data-field": field }, v)])),
  el("div", { class: "row end" },
    el("button", { class: "danger drain", "data-testid": "drain", "data-address": n.address,
      disabled: why !== "", title: why || null }, draining ? "Draining..." : "Drain")));
}

async function onClick(event) {
  const button = event.target.closest("button.drain");
  if (!button) return;
  const address = button.dataset.address;
  const node = last && last.nodes.find((n) => n.address === address);
  const count = node && node.stats ? `its ${plural(node.stats.connections, "connection")}` : "its connections (it did not say how many)";
  // A node leaves only once every member sees every other; and with one member already gone, the
  // Split Brain Resolver may find no majority when this one goes too.
  const unreachable = last ? last.nodes.filter((n) => !n.reachable && n.address !== address).length : 0;
  const warning = unreachable
    ? `\n\nCareful: ${plural(unreachable, "other member")} unreachable. This node cannot leave until `
      + "the cluster has downed it, and with two members gone at once the cluster may find no majority "
      + "and down the rest. Better wait until it is removed."
    : "";
  const ok = await confirmAction(
    `Drain node ${address}?\n\nIt stops accepting connections, closes ${count} with code 1012 over the `
    + "drain window (clients reconnect to the other nodes), then leaves the cluster and exits." + warning, "Drain");
  if (!ok) return;
  const box = document.getElementById("drain-result");
  button.disabled = true;
  try {
    const r = await api("POST", "admin/nodes/drain", { node: address });
    showResult(box, `Draining ${r.node}: ${plural(r.connections, "connection")} closed over ${r.window}, then ${r.then}.`);
  } catch (e) {
    showResult(box, `Drain of ${address} failed: ${e.message}`, true);
    button.disabled = false;
  }
  refresh();
}

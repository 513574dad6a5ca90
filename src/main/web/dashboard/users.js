// Users: a user's connections on every node (GET admin/users/{user}) and Disconnect (POST
// api/disconnect: closes them all, code 4005), after a confirmation.

import { api, el, fill, segment, shortNode, duration, plural, confirmAction } from "./util.js";

export function startUsers() {
  document.getElementById("user-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const user = document.getElementById("user").value.trim();
    if (user) lookup(user);
  });
}

async function lookup(user, note = null) {
  const out = document.getElementById("user-result");
  fill(out, note, el("p", { class: "muted" }, `looking up ${user}...`));
  let r;
  try {
    r = await api("GET", `admin/users/${segment(user)}`);
  } catch (e) {
    fill(out, note, el("p", { class: "err", "data-testid": "user-error" }, `${user}: ${e.message}`));
    return;
  }
  const nodes = r.nodes || [];
  const none = !r.connections && r.answered === r.asked;
  fill(out,
    note,
    el("div", { class: "panel" },
      el("div", { class: "bar" },
        el("h3", {}, el("span", { class: "mono" }, r.user)),
        el("span", { id: "user-connections", "data-value": r.connections }, `${plural(r.connections, "connection")} on ${plural(nodes.length, "node")}`),
        r.answered < r.asked ? el("span", { class: "err" }, `${r.asked - r.answered} of ${r.asked} nodes did not answer`) : null,
        el("button", { id: "disconnect", class: "danger", "data-testid": "disconnect",
          // off when every node answered and none holds a connection of the user
          disabled: none, title: none ? "no connection to close" : null,
          onclick: () => disconnect(r.user, r.connections, nodes.length) }, "Disconnect")),
      nodes.map(nodeTable),
      nodes.length ? null : el("p", { class: "muted" }, "Not connected anywhere.")));
}

function nodeTable(n) {
  return el("div", {},
    el("p", { class: "mono", title: n.node }, shortNode(n.node)),
    el("table", {},
      el("thead", {}, el("tr", {}, el("th", {}, "Connection"), el("th", {}, "Transport"), el("th", {}, "Topics"), el("th", {}, "Connected for"))),
      el("tbody", {}, n.connections.map((c) => el("tr", {},
        el("td", { class: "mono" }, c.conn_id),
        el("td", {}, c.transport),
        el("td", { class: "mono" }, (c.topics || []).join(", ") || "–"),
        el("td", {}, duration(c.connected_seconds)))))));
}

async function disconnect(user, connections, nodes) {
  const ok = await confirmAction(
    `Disconnect user ${user}?\n\nTheir ${plural(connections, "connection")} on ${plural(nodes, "node")} will be closed (code 4005); `
    + "their clients may connect again.", "Disconnect");
  if (!ok) return;
  let note;
  try {
    const r = await api("POST", "api/disconnect", { user });
    note = el("div", { class: "result ok", "data-testid": "disconnect-result", "data-ok": "true" },
      `Disconnected ${r.user}: ${plural(r.closed, "connection")} closed (${r.answered} of ${r.nodes} nodes answered).`);
  } catch (e) {
    note = el("div", { class: "result err", "data-testid": "disconnect-result", "data-ok": "false" }, `Disconnect of ${user} failed: ${e.message}`);
  }
  lookup(user, note);
}

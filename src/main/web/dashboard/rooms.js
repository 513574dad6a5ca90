// Rooms: the largest rooms cluster-wide (GET admin/rooms/largest) and the topic inspector: the room
// entity and members per node (GET admin/topics/{topic}), presence (GET api/presence/{topic}) and the
// tail of the history (GET api/history/{topic}?since=seq-20).

import { api, el, fill, segment, shortNode, number, plural } from "./util.js";

const LARGEST = 20;
const TAIL = 20;
const PAYLOAD_SHOWN = 300; // characters of a message's payload shown in the history table

export function startRooms() {
  document.getElementById("largest-refresh").addEventListener("click", loadLargest);
  document.getElementById("topic-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const topic = document.getElementById("topic").value.trim();
    if (topic) inspect(topic);
  });
}

export async function loadLargest() {
  const status = document.getElementById("largest-status");
  const body = document.querySelector("#largest tbody");
  status.textContent = "loading...";
  status.className = "muted";
  try {
    const r = await api("GET", `admin/rooms/largest?limit=${LARGEST}`);
    status.textContent = `${r.answered} of ${r.nodes} nodes answered`;
    status.className = r.answered < r.nodes ? "err" : "muted";
    if (!r.largest.length) {
      fill(body, el("tr", {}, el("td", { colspan: 3, class: "muted" }, "no rooms with members")));
      return;
    }
    fill(body, r.largest.map((room) => el("tr", {
      class: "clickable", title: "inspect this topic", "data-topic": room.topic,
      onclick: () => { document.getElementById("topic").value = room.topic; inspect(room.topic); },
    }, el("td", { class: "mono" }, room.topic), el("td", { class: "num" }, number(room.members)), el("td", { class: "num" }, number(room.nodes)))));
  } catch (e) {
    status.textContent = `could not load the rooms: ${e.message}`;
    status.className = "err";
  }
}

async function inspect(topic) {
  const out = document.getElementById("topic-result");
  fill(out, el("p", { class: "muted" }, `inspecting ${topic}...`));
  let t;
  try {
    t = await api("GET", `admin/topics/${segment(topic)}`);
  } catch (e) {
    fill(out, el("p", { class: "err", "data-testid": "topic-error" }, `${topic}: ${e.message}`));
    return;
  }
  const seq = t.entity ? t.entity.seq : null;
  // Presence and history beside the entity, each failing on its own (presence off is a 404).
  const [presence, history] = await Promise.allSettled([
    api("GET", `api/presence/${segment(topic)}`),
    seq == null ? Promise.resolve(null) : api("GET", `api/history/${segment(topic)}?since=${Math.max(0, seq - TAIL)}`),
  ]);
  fill(out, entityPanel(t), presencePanel(presence), historyPanel(history, seq));
}

function entityPanel(t) {
  const e = t.entity;
  const members = (t.nodes || []).map((n) => el("tr", {}, el("td", { class: "mono", title: n.node }, shortNode(n.node)), el("td", { class: "num" }, number(n.members))));
  return el("div", { class: "panel", "data-testid": "topic-entity" },
    el("h3", {}, el("span", { class: "mono" }, t.topic)),
    e
      ? el("p", {}, `Entity on ${shortNode(e.node)}, epoch ${e.epoch}, seq ${e.seq}; ${plural(e.members, "member")} cluster-wide; `
        + `history ${plural(e.history_messages, "message")}, ${plural(e.history_bytes, "byte")}.`)
      : el("p", { class: "muted" }, "No room entity: the room is not live."),
    t.answered < t.asked ? el("p", { class: "err" }, `${t.asked - t.answered} of ${t.asked} nodes did not answer.`) : null,
    members.length
      ? el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Node"), el("th", { class: "num" }, "Members"))), el("tbody", {}, members))
      : el("p", { class: "muted" }, "No members on any node."));
}

function presencePanel(settled) {
  const panel = el("div", { class: "panel", "data-testid": "topic-presence" }, el("h3", {}, "Presence"));
  if (settled.status === "rejected") {
    // 404: presence is off in the topic's namespace; the server's message says which.
    panel.append(el("p", { class: settled.reason.status === 404 ? "muted" : "err" }, settled.reason.message));
    return panel;
  }
  const p = settled.value;
  panel.append(el("p", {}, `${plural(p.users, "user")}, ${plural(p.connections, "connection")}`));
  const keys = Object.entries(p.presence || {});
  if (keys.length) {
    panel.append(el("table", {},
      el("thead", {}, el("tr", {}, el("th", {}, "Key"), el("th", { class: "num" }, "Connections"))),
      el("tbody", {}, keys.map(([key, v]) => el("tr", {}, el("td", { class: "mono" }, key), el("td", { class: "num" }, number((v.metas || []).length)))))));
  }
  return panel;
}

function historyPanel(settled, seq) {
  const panel = el("div", { class: "panel", "data-testid": "topic-history" }, el("h3", {}, `History (the last ${TAIL})`));
  if (seq == null) {
    panel.append(el("p", { class: "muted" }, "No live entity, so no position to read from."));
  } else if (settled.status === "rejected") {
    panel.append(el("p", { class: "err" }, settled.reason.message));
  } else if (!settled.value.messages.length) {
    panel.append(el("p", { class: "muted" }, "No messages kept."));
  } else {
    panel.append(el("table", {},
      el("thead", {}, el("tr", {}, el("th", { class: "num" }, "Seq"), el("th", {}, "Event"), el("th", {}, "Payload"))),
      el("tbody", {}, settled.value.messages.map((m) => el("tr", {},
        el("td", { class: "num" }, m.seq), el("td", { class: "mono" }, m.event), el("td", { class: "mono" }, payloadText(m)))))));
  }
  return panel;
}

function payloadText(m) {
  if (m.binary != null) {
    const b64 = String(m.binary);
    return `(binary, ${b64.length * 3 / 4 - (b64.match(/=*$/)[0].length)} bytes)`;
  }
  const s = JSON.stringify(m.payload);
  return s.length > PAYLOAD_SHOWN ? `${s.slice(0, PAYLOAD_SHOWN)}...` : s;
}

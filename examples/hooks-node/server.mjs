// An application backend for Chorus's hooks (docs/hooks.md), with Node 20's standard library
// only. It serves a chat page (phoenix.js from the Chorus node) and answers every hook:
//
//   connect  the page's session cookie names the user (log in on the page); no cookie: 403
//   join     chat:admins only for "admin"; a welcome line in the join reply; presence meta
//   publish  refuses messages with banned words, stamps the others with their author
//   rpc      "whoami" (who Chorus says you are) and "roll_dice"
//   webhooks topic_occupied/vacated, user_joined/left and "typing" client events, kept (the
//            last 20) and shown on the page, each batch's signature checked
//
//   node examples/hooks-node/server.mjs     (PORT=8080, CHORUS_URL=http://127.0.0.1:4000,
//                                            CHORUS_HOOKS_SECRET=hooks-example-secret)
//
// A demo: the session cookie is the user's name, unsigned. A real app keeps real sessions.

import { createServer } from "node:http";
import { createHmac, timingSafeEqual, randomInt } from "node:crypto";

const PORT = Number(process.env.PORT || 8080);
const CHORUS_URL = process.env.CHORUS_URL || "http://127.0.0.1:4000";
const SECRET = process.env.CHORUS_HOOKS_SECRET ?? "hooks-example-secret";
const MAX_BODY = 64 * 1024; // a hook request is a few KiB at most (Chorus bounds messages)
const BANNED = ["darn", "heck"];

/** Whether the body was signed by Chorus with our secret (docs/hooks.md, "The signature"). */
function verified(raw, header) {
  if (!SECRET) return true; // unsigned: only for a node without chorus.hooks.secret
  const expected = Buffer.from("sha256=" + createHmac("sha256", SECRET).update(raw).digest("hex"));
  const given = Buffer.from(header || "");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function cookies(header) {
  const out = {};
  for (const part of (header || "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

const hooks = {
  connect(req) {
    const name = cookies(req.headers.cookie).session;
    if (!name) return { result: "refuse", reason: "log in first" };
    return { result: "allow", user: name, topics: ["chat:*"], meta: { name, via: req.transport } };
  },

  join(req) {
    if (req.topic === "chat:admins" && req.user !== "admin") return { result: "refuse", reason: "admins only" };
    return {
      result: "allow",
      reply: { motd: `Welcome to ${req.topic}, ${req.user}!` },
      meta: { status: req.payload?.meta?.status === "away" ? "away" : "here" },
    };
  },

  publish(req) {
    if (req.binary !== undefined) return { result: "allow" }; // bytes pass as they are
    if (req.event === "typing") return { result: "allow" }; // a signal, sent on as a client_event webhook
    const body = String(req.payload?.body ?? "").trim();
    if (!body) return { result: "refuse", reason: "empty message" };
    if (BANNED.some((w) => body.toLowerCase().includes(w))) return { result: "refuse", reason: "mind your language" };
    return { result: "allow", payload: { body, from: req.user, at: req.ts } };
  },

  rpc(req) {
    switch (req.event) {
      case "whoami": return { reply: { user: req.user, conn_id: req.conn_id, node: req.node } };
      case "roll_dice": return { reply: { value: randomInt(1, 7) } };
      default: return { error: `no such call: ${req.event}` };
    }
  },
};

/** The last webhook events, newest last, deduplicated by id (a retried batch repeats them). */
const activity = [];
const seen = new Set();
function onWebhooks(batch) {
  for (const e of batch.events || []) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    activity.push(e);
    console.log(`webhook ${e.name} ${e.topic ?? ""} ${e.user ?? ""}`);
  }
  while (activity.length > 20) seen.delete(activity.shift().id);
}

function send(res, status, type, body, headers = {}) {
  res.writeHead(status, { "content-type": type, ...headers });
  res.end(body);
}

const server = createServer((req, res) => {
  const url = new URL(req.url, `http://${req.headers.host}`);
  if (req.method === "GET" && url.pathname === "/") return send(res, 200, "text/html; charset=utf-8", page());
  if (req.method === "GET" && url.pathname === "/login") {
    const name = (url.searchParams.get("name") || "").trim().slice(0, 40);
    if (!name) return send(res, 302, "text/plain", "", { location: "/" });
    // same host as the Chorus node, so the browser sends it with the WebSocket upgrade too
    return send(res, 302, "text/plain", "", { location: "/", "set-cookie": `session=${encodeURIComponent(name)}; Path=/; SameSite=Strict` });
  }
  if (req.method === "GET" && url.pathname === "/activity") return send(res, 200, "application/json", JSON.stringify(activity));
  const webhooks = url.pathname === "/webhooks";
  const hook = webhooks ? onWebhooks : url.pathname.startsWith("/hooks/") && hooks[url.pathname.slice("/hooks/".length)];
  if (req.method !== "POST" || !hook) return send(res, 404, "text/plain", "not found");
  const chunks = [];
  let size = 0;
  req.on("data", (c) => {
    size += c.length;
    if (size > MAX_BODY) req.destroy();
    else chunks.push(c);
  });
  req.on("end", () => {
    const raw = Buffer.concat(chunks);
    if (!verified(raw, req.headers["x-chorus-signature"])) return send(res, 401, "application/json", '{"error":"bad signature"}');
    let body;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      return send(res, 400, "application/json", '{"error":"not JSON"}');
    }
    if (webhooks) {
      onWebhooks(body);
      return send(res, 200, "application/json", "{}");
    }
    const answer = hook(body);
    console.log(`${body.hook} ${body.topic ?? ""} ${body.user ?? "-"} -> ${JSON.stringify(answer)}`);
    send(res, 200, "application/json", JSON.stringify(answer));
  });
});

server.listen(PORT, "127.0.0.1", () => {
  console.log(`hooks backend and page on http://127.0.0.1:${PORT}/ (Chorus at ${CHORUS_URL})`);
});

function page() {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Chorus hooks example</title>
<style>body{font:15px system-ui;max-width:40em;margin:2em auto}#log{border:1px solid #ccc;height:20em;overflow:auto;padding:.5em}
.err{color:#b00}.sys{color:#666}</style></head>
<body>
<h1>Chorus hooks example</h1>
<form action="/login"><input name="name" placeholder="your name (admin may join chat:admins)"> <button>log in</button></form>
<p>Room: <select id="room"><option>chat:lobby</option><option>chat:admins</option></select>
<button id="join">join</button> <button id="whoami">whoami</button> <button id="dice">roll dice</button></p>
<div id="log"></div>
<form id="send"><input id="msg" size="40" placeholder="message (try 'heck')"> <button>send</button></form>
<p class="sys">Online: <span id="online"></span></p>
<p class="sys">Webhooks the backend received (newest last): <span id="activity"></span></p>
<script src="${CHORUS_URL}/phoenix.js"></script>
<script>
const $ = (id) => document.getElementById(id);
const log = (text, cls) => { const d = document.createElement("div"); d.textContent = text; if (cls) d.className = cls; $("log").append(d); $("log").scrollTop = 1e9; };
const socket = new Phoenix.Socket("${CHORUS_URL.replace(/^http/, "ws")}/socket", {});
socket.onError(() => log("connection refused or lost (log in first?)", "err"));
socket.connect();
let channel;
$("join").onclick = () => {
  if (channel) channel.leave();
  channel = socket.channel($("room").value, { meta: { status: "here" } });
  channel.on("msg", (m) => log(m.from + ": " + m.body));
  const presence = new Phoenix.Presence(channel);
  presence.onSync(() => { $("online").textContent = presence.list((id, { metas }) => id + " (" + metas[0].status + ")").join(", "); });
  channel.join()
    .receive("ok", (r) => log(r.motd, "sys"))
    .receive("error", (r) => log("join refused: " + r.reason, "err"));
};
const call = (event) => channel && channel.push(event, {})
  .receive("ok", (r) => log(event + ": " + JSON.stringify(r), "sys"))
  .receive("error", (r) => log(event + " failed: " + r.reason, "err"));
$("whoami").onclick = () => call("whoami");
$("dice").onclick = () => call("roll_dice");
$("msg").oninput = () => channel && channel.push("typing", {});
setInterval(async () => {
  const events = await (await fetch("/activity")).json();
  $("activity").textContent = events.map((e) => e.name + " " + (e.user || e.topic || "")).join(" · ");
}, 2000);
$("send").onsubmit = (e) => {
  e.preventDefault();
  if (!channel) return log("join a room first", "err");
  channel.push("msg", { body: $("msg").value })
    .receive("error", (r) => log("not sent: " + r.reason, "err"));
  $("msg").value = "";
};
</script>
</body></html>`;
}

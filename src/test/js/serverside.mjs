// Interop test of server-side subscriptions: POST /api/subscribe makes a user's connections join
// a topic; phoenix.js dispatches the topic's broadcasts (join_ref null) to a channel object made
// with socket.channel(topic) even though the client never joined it, and drops the server join's
// own reply (it names a join_ref of no channel of the client).
//
//   cd src/test/js && npm ci && CHORUS_URL=ws://127.0.0.1:4000/socket CHORUS_API_URL=http://127.0.0.1:7626 \
//     CHORUS_API_KEY=... node serverside.mjs
//
// Env: CHORUS_URL, CHORUS_API_URL and CHORUS_API_KEY (required: the management port and
// chorus.api.key), CHORUS_STEP_TIMEOUT_MS (default 10000, bound on every await),
// CHORUS_TOTAL_TIMEOUT_MS (default 60000, hard limit for the whole run -> exit 2), CHORUS_DEBUG=1.
// Output: one "ok - name" / "not ok - name: detail" line per check, then "N passed, M failed".
// Exit 0 only if all passed; 1 on failures; 2 on hard timeout.

import { Socket } from "phoenix";
import WebSocket from "ws";
import { randomBytes } from "node:crypto";

const URL = process.env.CHORUS_URL || "ws://127.0.0.1:4000/socket";
const API_URL = process.env.CHORUS_API_URL || "";
const API_KEY = process.env.CHORUS_API_KEY || "";
const STEP_MS = Number(process.env.CHORUS_STEP_TIMEOUT_MS || 10_000);
const TOTAL_MS = Number(process.env.CHORUS_TOTAL_TIMEOUT_MS || 60_000);
const DEBUG = !!process.env.CHORUS_DEBUG;
const RUN = randomBytes(6).toString("hex");
const TOPIC = `room:serverside-${RUN}`;
const ALICE = `alice-${RUN}`;
const BOB = `bob-${RUN}`;

let passed = 0;
let failed = 0;
let current = "startup";
const sockets = [];

const hardTimer = setTimeout(() => {
  console.log(`not ok - ${current}: hard timeout, whole run exceeded ${TOTAL_MS} ms`);
  failed++;
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(2);
}, TOTAL_MS);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const show = (v) => JSON.stringify(v);

async function until(cond, what, ms = STEP_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = cond();
    if (v) return v;
    if (Date.now() >= deadline) throw new Error(`timed out after ${ms} ms waiting for ${typeof what === "function" ? what() : what}`);
    await sleep(10);
  }
}

function reply(push, what, ms = STEP_MS) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for reply to ${what}`)), ms);
    for (const status of ["ok", "error", "timeout"]) push.receive(status, (response) => { clearTimeout(t); resolve({ status, response }); });
  });
}

async function api(path, body) {
  const res = await fetch(`${API_URL}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${API_KEY}` },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(STEP_MS),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${text}`);
  return JSON.parse(text);
}

/** A phoenix.js socket of `user`; `raw` records every frame it receives (socket.onMessage). */
function makeClient(user) {
  const socket = new Socket(URL, {
    transport: WebSocket,
    params: { user },
    timeout: STEP_MS,
    rejoinAfterMs: () => 200,
    reconnectAfterMs: () => 200,
    logger: DEBUG ? (kind, msg, data) => console.error(`[${user}] ${kind}: ${msg}`, data ?? "") : undefined,
  });
  const c = { user, socket, raw: [], errors: [], closes: 0 };
  socket.onMessage((m) => c.raw.push(m));
  socket.onError((e) => c.errors.push(e && (e.message || e.type || String(e))));
  socket.onClose(() => c.closes++);
  sockets.push(socket);
  return c;
}

/** socket.channel(TOPIC) with a "news" handler, never joined: the pattern docs/operations.md shows. */
function listen(c) {
  const ch = c.socket.channel(TOPIC);
  const got = [];
  ch.on("news", (payload) => got.push(payload));
  return { ch, got };
}

const A = makeClient(ALICE);
const B = makeClient(BOB);
let listenA, listenB;

const checks = [
  ["connect, and listen on the topic without joining it", async () => {
    if (!API_URL || !API_KEY) throw new Error("CHORUS_API_URL and CHORUS_API_KEY are not set");
    A.socket.connect();
    B.socket.connect();
    await until(() => A.socket.isConnected() && B.socket.isConnected(), "both sockets to connect");
    listenA = listen(A);
    listenB = listen(B);
  }],

  ["a server-side subscription reaches the socket.channel(topic) handler, not another user's", async () => {
    const answer = await api("/api/subscribe", { user: ALICE, topic: TOPIC });
    if (answer.connections !== 1) throw new Error(`subscribe answered ${show(answer)}, want 1 connection`);
    // The answer says the connection was told; its join is admitted a moment later.
    await until(() => A.raw.find((m) => m.topic === TOPIC && m.event === "phx_reply" && String(m.join_ref).startsWith("srv:")),
      "the server join's reply");
    await api("/api/publish", { topic: TOPIC, event: "news", payload: { n: 1 } });
    await until(() => listenA.got.length === 1, () => `alice's handler to get the news (got ${show(listenA.got)})`);
    if (listenA.got[0].n !== 1) throw new Error(`alice got ${show(listenA.got)}`);
    // Bob's own join's messages come in order after anything of TOPIC the node queued for him.
    const own = B.socket.channel(`room:bob-${RUN}`);
    const mark = [];
    own.on("mark", (p) => mark.push(p));
    if ((await reply(own.join(), "bob's own join")).status !== "ok") throw new Error("bob's own join refused");
    await api("/api/publish", { topic: `room:bob-${RUN}`, event: "mark", payload: {} });
    await until(() => mark.length === 1, "bob's own mark");
    if (listenB.got.length !== 0) throw new Error(`bob, not subscribed, got ${show(listenB.got)}`);
  }],

  ["joining the channel replaces the server-side membership: one copy of each message", async () => {
    const r = await reply(listenA.ch.join(), "alice's join");
    if (r.status !== "ok") throw new Error(`alice's join: ${show(r)}`);
    await api("/api/publish", { topic: TOPIC, event: "news", payload: { n: 2 } });
    await api("/api/publish", { topic: TOPIC, event: "news", payload: { n: 3 } });
    await until(() => listenA.got.some((p) => p.n === 3), () => `alice to get n=3 (got ${show(listenA.got)})`);
    const ns = listenA.got.map((p) => p.n);
    if (show(ns) !== show([1, 2, 3])) throw new Error(`alice got ${show(ns)}, want [1,2,3] once each`);
  }],

  ["the sockets stayed up", async () => {
    for (const c of [A, B]) {
      if (!c.socket.isConnected()) throw new Error(`socket ${c.user} is not connected`);
      if (c.closes > 0) throw new Error(`socket ${c.user} was closed ${c.closes} time(s)`);
      if (c.errors.length) throw new Error(`socket ${c.user} had errors: ${show(c.errors)}`);
    }
  }],
];

let skipRest = null;
for (const [name, fn] of checks) {
  current = name;
  if (skipRest) {
    failed++;
    console.log(`not ok - ${name}: skipped (${skipRest})`);
    continue;
  }
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}: ${e && e.message ? e.message : e}`);
    if (name.startsWith("connect")) skipRest = "connect failed";
  }
}

clearTimeout(hardTimer);
console.log(`${passed} passed, ${failed} failed`);
await Promise.race([Promise.all(sockets.map((s) => new Promise((r) => s.disconnect(r)))), sleep(1000)]);
process.exit(failed === 0 ? 0 : 1);

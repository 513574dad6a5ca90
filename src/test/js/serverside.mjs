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

import { randomBytes } from "node:crypto";
import { start, show, until, reply, client, connect, runChecks, finish } from "./harness.mjs";

const { STEP_MS } = start("serverside", { stepMs: 10_000, totalMs: 60_000 });
const API_URL = process.env.CHORUS_API_URL || "";
const API_KEY = process.env.CHORUS_API_KEY || "";
const RUN = randomBytes(6).toString("hex");
const TOPIC = `room:serverside-${RUN}`;
const ALICE = `alice-${RUN}`;
const BOB = `bob-${RUN}`;

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
  const c = client(user, { rejoinAfterMs: () => 200, reconnectAfterMs: () => 200 });
  c.user = user;
  c.raw = [];
  c.socket.onMessage((m) => c.raw.push(m));
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
    await connect(A, B);
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

await runChecks(checks, { skipRestIfFirstFails: true });
await finish();

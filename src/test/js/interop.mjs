// Interop test: drives a running Chorus server with the real phoenix.js client.
//
//   cd src/test/js && npm ci && CHORUS_URL=ws://127.0.0.1:4000/socket node interop.mjs
//
// The server must be started with -Dchorus.testing.crash-event=__crash__.
// Env: CHORUS_URL (default ws://127.0.0.1:4000/socket), CHORUS_STEP_TIMEOUT_MS
// (default 10000, bound on every await), CHORUS_TOTAL_TIMEOUT_MS (default 60000,
// hard limit for the whole run -> exit 2), CHORUS_DEBUG=1 (phoenix.js logging).
// Output: one "ok - name" / "not ok - name: detail" line per check, then
// "N passed, M failed". Exit 0 only if all passed; 1 on failures; 2 on hard timeout.

import { Socket } from "phoenix";
import WebSocket from "ws";
import { randomBytes } from "node:crypto";
import { isDeepStrictEqual } from "node:util";

const URL = process.env.CHORUS_URL || "ws://127.0.0.1:4000/socket";
const STEP_MS = Number(process.env.CHORUS_STEP_TIMEOUT_MS || 10_000);
const TOTAL_MS = Number(process.env.CHORUS_TOTAL_TIMEOUT_MS || 60_000);
const DEBUG = !!process.env.CHORUS_DEBUG;
const TOPIC = `room:interop-${randomBytes(6).toString("hex")}`;

let passed = 0;
let failed = 0;
let current = "startup";
const sockets = [];

const hardTimer = setTimeout(() => {
  console.log(`not ok - ${current}: hard timeout, whole run exceeded ${TOTAL_MS} ms`);
  failed++;
  console.log(`${passed} passed, ${failed} failed`);
  console.error(`interop: aborted after ${TOTAL_MS} ms (server at ${URL} not responding?)`);
  process.exit(2);
}, TOTAL_MS);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const show = (v) => JSON.stringify(v);

/** Polls cond() until truthy; rejects after ms. `what` may be a function, evaluated on timeout. */
async function until(cond, what, ms = STEP_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = cond();
    if (v) return v;
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${typeof what === "function" ? what() : what}`);
    }
    await sleep(10);
  }
}

/** Resolves with {status, response} of a phoenix Push (ok / error / timeout), bounded by ms. */
function reply(push, what, ms = STEP_MS) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for reply to ${what}`)), ms);
    for (const status of ["ok", "error", "timeout"]) {
      push.receive(status, (response) => { clearTimeout(t); resolve({ status, response }); });
    }
  });
}

function expectStatus(r, status, what) {
  if (r.status !== status) throw new Error(`${what}: expected "${status}", got "${r.status}" ${show(r.response)}`);
}

/** Creates a socket plus bookkeeping: raw frames, error/close counters, heartbeat replies. */
function makeClient(name) {
  const socket = new Socket(URL, {
    transport: WebSocket,
    params: { user: name },
    timeout: STEP_MS,
    heartbeatIntervalMs: 1000,
    rejoinAfterMs: () => 200,
    reconnectAfterMs: () => 200,
    logger: DEBUG ? (kind, msg, data) => console.error(`[${name}] ${kind}: ${msg}`, data ?? "") : undefined,
  });
  const c = { name, socket, frames: [], errors: [], closes: 0, opens: 0, heartbeatOks: 0 };
  socket.onOpen(() => c.opens++);
  socket.onError((e) => c.errors.push(e && (e.message || e.type || String(e))));
  socket.onClose(() => c.closes++);
  socket.onMessage((m) => {
    c.frames.push(m);
    if (m.topic === "phoenix" && m.event === "phx_reply" && m.payload && m.payload.status === "ok") c.heartbeatOks++;
  });
  sockets.push(socket);
  return c;
}

/** Joins topic on client c; records "msg" broadcasts, errors and successful joins. */
function channelFor(c, topic, params = {}) {
  const ch = c.socket.channel(topic, params);
  const rec = { ch, msgs: [], refs: [], errors: 0, joinOks: 0 };
  ch.on("msg", (p, ref) => {
    rec.msgs.push(p);
    rec.refs.push(ref);
  });
  ch.onError(() => rec.errors++);
  return rec;
}

const has = (list, payload) => list.some((p) => isDeepStrictEqual(p, payload));

// ---------------------------------------------------------------------------

const A = makeClient("interop-a");
const B = makeClient("interop-b");
let chA, chB;

const checks = [
  ["connect and join", async () => {
    A.socket.connect();
    B.socket.connect();
    await until(() => A.socket.isConnected() && B.socket.isConnected(),
      () => `both sockets to connect to ${URL} (errors A=${A.errors.length}, B=${B.errors.length})`);
    chA = channelFor(A, TOPIC);
    chB = channelFor(B, TOPIC);
    const pa = chA.ch.join().receive("ok", () => chA.joinOks++);
    const pb = chB.ch.join().receive("ok", () => chB.joinOks++);
    const [ra, rb] = await Promise.all([reply(pa, `A join ${TOPIC}`), reply(pb, `B join ${TOPIC}`)]);
    expectStatus(ra, "ok", "A join");
    expectStatus(rb, "ok", "B join");
  }],

  ["push reply and broadcast", async () => {
    const payload = { body: "hello" };
    const r = await reply(chA.ch.push("msg", payload), "A push msg");
    expectStatus(r, "ok", "push reply");
    await until(() => has(chA.msgs, payload), () => `A to receive broadcast ${show(payload)} (got ${show(chA.msgs)})`);
    await until(() => has(chB.msgs, payload), () => `B to receive broadcast ${show(payload)} (got ${show(chB.msgs)})`);
    // A broadcast carries its position "<epoch>:<seq>" in the ref slot; phoenix.js hands it to
    // the handler as its second argument (and never takes it for a reply or heartbeat ref).
    const raw = B.frames.find((f) => f.topic === TOPIC && f.event === "msg" && isDeepStrictEqual(f.payload, payload));
    if (raw && (raw.join_ref != null || !/^[0-9a-z]+:[0-9]+$/.test(raw.ref))) {
      throw new Error(`broadcast should have a null join_ref and an "<epoch>:<seq>" ref, got join_ref=${raw.join_ref} ref=${raw.ref}`);
    }
    const at = chB.msgs.findIndex((p) => isDeepStrictEqual(p, payload));
    if (!/^[0-9a-z]+:[0-9]+$/.test(chB.refs[at])) throw new Error(`handler got ref ${chB.refs[at]}`);
  }],

  ["20 broadcasts in order", async () => {
    const N = 20;
    const replies = [];
    for (let i = 0; i < N; i++) replies.push(reply(chB.ch.push("msg", { n: i }), `B push n=${i}`));
    for (const r of await Promise.all(replies)) expectStatus(r, "ok", "push reply");
    const ns = (rec) => rec.msgs.filter((p) => p && typeof p.n === "number").map((p) => p.n);
    for (const [who, rec] of [["A", chA], ["B", chB]]) {
      await until(() => ns(rec).length >= N, () => `${who} to receive ${N} broadcasts (got ${show(ns(rec))})`);
      const got = ns(rec);
      const want = [...Array(N).keys()];
      if (!isDeepStrictEqual(got, want)) throw new Error(`${who} received ${show(got)}, want ${show(want)}`);
    }
  }],

  ["unknown namespace join error", async () => {
    const ch = A.socket.channel("nosuch:x", {});
    const r = await reply(ch.join(), "join nosuch:x");
    ch.leave(); // stop phoenix.js from retrying the join every rejoinAfterMs
    expectStatus(r, "error", "join nosuch:x");
    if (!isDeepStrictEqual(r.response, { reason: "unknown namespace" })) {
      throw new Error(`expected response {"reason":"unknown namespace"}, got ${show(r.response)}`);
    }
  }],

  ["crash, phx_error and automatic rejoin", async () => {
    const errorsBefore = chA.errors;
    const joinsBefore = chA.joinOks;
    chA.ch.push("__crash__", {}); // may never get a reply; don't wait on it
    await until(() => chA.errors > errorsBefore, "channel.onError (phx_error) after __crash__");
    await until(() => chA.joinOks > joinsBefore && chA.ch.state === "joined",
      () => `automatic rejoin (state=${chA.ch.state}, joinOks=${chA.joinOks})`);
    const payload = { after: "rejoin" };
    const r = await reply(chA.ch.push("msg", payload), "A push after rejoin");
    expectStatus(r, "ok", "push after rejoin");
    await until(() => has(chB.msgs, payload), `B to receive ${show(payload)}`);
    await until(() => has(chA.msgs, payload), `A to receive ${show(payload)} after rejoin`);
    if (chB.errors > 0) throw new Error(`B's channel errored ${chB.errors} time(s); crash was not isolated`);
  }],

  ["heartbeats keep socket alive", async () => {
    const snap = (c) => ({ errors: c.errors.length, closes: c.closes, opens: c.opens, hb: c.heartbeatOks });
    const a0 = snap(A), b0 = snap(B);
    await sleep(2500);
    for (const [c, s0] of [[A, a0], [B, b0]]) {
      const s = snap(c);
      if (!c.socket.isConnected()) throw new Error(`socket ${c.name} not connected`);
      if (s.errors !== s0.errors) throw new Error(`socket ${c.name} onError fired: ${show(c.errors.slice(s0.errors))}`);
      if (s.closes !== s0.closes || s.opens !== s0.opens) throw new Error(`socket ${c.name} reconnected during heartbeat window`);
      if (s.hb - s0.hb < 1) throw new Error(`socket ${c.name} got no heartbeat reply in 2.5 s`);
    }
  }],

  ["leave stops delivery", async () => {
    const closesBefore = A.frames.filter((f) => f.topic === TOPIC && f.event === "phx_close").length;
    const r = await reply(chA.ch.leave(), "A leave");
    expectStatus(r, "ok", "leave");
    // phoenix.js resolves leave() locally at once (its channel is no longer "joined", so it cannot
    // wait for the server); the server's phx_close is what says the leave has taken effect.
    await until(() => A.frames.filter((f) => f.topic === TOPIC && f.event === "phx_close").length > closesBefore,
      "the server's phx_close for A's leave");
    const payload = { after: "leave" };
    const mark = A.frames.length;
    const pr = await reply(chB.ch.push("msg", payload), "B push after A left");
    expectStatus(pr, "ok", "push after leave");
    await until(() => has(chB.msgs, payload), `B to receive ${show(payload)}`);
    await sleep(500);
    const leaked = A.frames.slice(mark).filter((f) => f.topic === TOPIC && f.event === "msg");
    if (leaked.length) throw new Error(`A still received after leave: ${show(leaked)}`);
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
    if (name === "connect and join") skipRest = "connect and join failed";
  }
}

clearTimeout(hardTimer);
console.log(`${passed} passed, ${failed} failed`);

// Disconnect cleanly, but never hang on it.
await Promise.race([
  Promise.all(sockets.map((s) => new Promise((r) => s.disconnect(r)))),
  sleep(1000),
]);
process.exit(failed === 0 ? 0 : 1);

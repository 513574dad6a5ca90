// Burst test: the real phoenix.js client against a running Chorus node with its default limits.
// A publisher bursts 1 000 pushes to one topic without waiting: 1 000 ok replies, and it and a
// witness each receive the 1 000 broadcasts in order; then 800 pushes over three topics, all ok.
//
//   CHORUS_URL=ws://127.0.0.1:4000/socket node burst.mjs
//
// Env: CHORUS_STEP_TIMEOUT_MS (default 20000, bound on every await), CHORUS_TOTAL_TIMEOUT_MS
// (default 90000 -> exit 2), CHORUS_DEBUG=1. Output as interop.mjs: "ok - name" / "not ok -
// name: detail" per check, then "N passed, M failed"; exit 0 only if all passed.

import { Socket } from "phoenix";
import WebSocket from "ws";
import { randomBytes } from "node:crypto";
import { isDeepStrictEqual } from "node:util";

const URL = process.env.CHORUS_URL || "ws://127.0.0.1:4000/socket";
const STEP_MS = Number(process.env.CHORUS_STEP_TIMEOUT_MS || 20_000);
const TOTAL_MS = Number(process.env.CHORUS_TOTAL_TIMEOUT_MS || 90_000);
const DEBUG = !!process.env.CHORUS_DEBUG;
const RUN = randomBytes(6).toString("hex");

let passed = 0;
let failed = 0;
let current = "startup";
const sockets = [];

const hardTimer = setTimeout(() => {
  console.log(`not ok - ${current}: hard timeout, whole run exceeded ${TOTAL_MS} ms`);
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(2);
}, TOTAL_MS);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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
    for (const status of ["ok", "error", "timeout"]) {
      push.receive(status, (response) => { clearTimeout(t); resolve({ status, response }); });
    }
  });
}

function makeClient(name) {
  const socket = new Socket(URL, {
    transport: WebSocket,
    params: { user: name },
    timeout: STEP_MS,
    logger: DEBUG ? (kind, msg, data) => console.error(`[${name}] ${kind}: ${msg}`, data ?? "") : undefined,
  });
  const c = { name, socket, closes: 0 };
  socket.onClose(() => c.closes++);
  sockets.push(socket);
  return c;
}

/** Joins topic; records the "n" of each "msg" broadcast. */
async function join(c, topic) {
  const ch = c.socket.channel(topic, {});
  const rec = { ch, ns: [] };
  ch.on("msg", (p) => rec.ns.push(p.n));
  const r = await reply(ch.join(), `${c.name} join ${topic}`);
  if (r.status !== "ok") throw new Error(`${c.name} join ${topic}: ${r.status} ${JSON.stringify(r.response)}`);
  return rec;
}

/** Pushes n messages round robin over recs without waiting; resolves with the replies' statuses. */
function burst(recs, n) {
  const replies = [];
  for (let i = 0; i < n; i++) {
    const rec = recs[i % recs.length];
    replies.push(reply(rec.ch.push("msg", { n: Math.floor(i / recs.length) }), `push ${i}`));
  }
  return Promise.all(replies);
}

const upTo = (n) => [...Array(n).keys()];
const pub = makeClient("burst-publisher");
const witness = makeClient("burst-witness");

const checks = [
  ["a burst of 1000 pushes to one topic: 1000 ok replies, 1000 broadcasts in order", async () => {
    pub.socket.connect();
    witness.socket.connect();
    await until(() => pub.socket.isConnected() && witness.socket.isConnected(), "both sockets to connect");
    const topic = `room:burst-${RUN}`;
    const p = await join(pub, topic);
    const w = await join(witness, topic);
    const replies = await burst([p], 1000);
    const notOk = replies.filter((r) => r.status !== "ok");
    if (notOk.length) throw new Error(`${notOk.length} pushes not ok, e.g. ${JSON.stringify(notOk[0])}`);
    for (const [who, rec] of [["publisher", p], ["witness", w]]) {
      await until(() => rec.ns.length >= 1000, () => `the ${who} to receive 1000 broadcasts (got ${rec.ns.length})`);
      if (!isDeepStrictEqual(rec.ns, upTo(1000))) throw new Error(`the ${who}'s broadcasts are not 0..999 in order`);
    }
  }],

  ["1000 pushes made right after join(), before its reply: all answered ok, in order", async () => {
    // phoenix.js buffers them until the join's ok reply arrives, then sends them all at once.
    // A client of its own: the publisher has spent its burst (2 000 frames, refilled at 500/s).
    const early = makeClient("burst-early");
    early.socket.connect();
    await until(() => early.socket.isConnected(), "the socket to connect");
    const topic = `room:burst-early-${RUN}`;
    const ch = early.socket.channel(topic, {});
    const ns = [];
    ch.on("msg", (p) => ns.push(p.n));
    const joined = reply(ch.join(), `join ${topic}`);
    const replies = await burst([{ ch }], 1000);
    const j = await joined;
    if (j.status !== "ok") throw new Error(`join: ${j.status} ${JSON.stringify(j.response)}`);
    const notOk = replies.filter((r) => r.status !== "ok");
    if (notOk.length) throw new Error(`${notOk.length} of 1000 pushes not ok, e.g. ${JSON.stringify(notOk[0])}`);
    await until(() => ns.length >= 1000, () => `1000 broadcasts (got ${ns.length})`);
    if (!isDeepStrictEqual(ns, upTo(1000))) throw new Error("the broadcasts are not 0..999 in order");
  }],

  ["a burst of 800 pushes over three topics: all answered ok", async () => {
    const recs = [];
    for (let t = 0; t < 3; t++) recs.push(await join(pub, `room:burst3-${RUN}-${t}`));
    const replies = await burst(recs, 800);
    const notOk = replies.filter((r) => r.status !== "ok");
    if (notOk.length) throw new Error(`${notOk.length} of 800 pushes not ok, e.g. ${JSON.stringify(notOk[0])}`);
    const want = [upTo(267), upTo(267), upTo(266)];
    for (let t = 0; t < 3; t++) {
      await until(() => recs[t].ns.length >= want[t].length, () => `topic ${t}'s broadcasts (got ${recs[t].ns.length})`);
      if (!isDeepStrictEqual(recs[t].ns, want[t])) throw new Error(`topic ${t}'s broadcasts are not in order`);
    }
    if (pub.closes || witness.closes) throw new Error(`a socket was closed (publisher ${pub.closes}, witness ${witness.closes})`);
  }],
];

for (const [name, fn] of checks) {
  current = name;
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}: ${e && e.message ? e.message : e}`);
  }
}

for (const s of sockets) s.disconnect();
clearTimeout(hardTimer);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

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

import { randomBytes } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { start, sleep, show, has, until, reply, expectStatus, client, connect, runChecks, finish } from "./harness.mjs";

start("interop", { stepMs: 10_000, totalMs: 60_000 });
const TOPIC = `room:interop-${randomBytes(6).toString("hex")}`;

/**
 * A client (harness.mjs) that also keeps the raw frames and counts heartbeat replies. phoenix.js
 * reconnects when a heartbeat's reply has not come within one interval, so a short interval is
 * for the heartbeat check's own client only: a second's stall of either process would make A
 * or B reconnect in the middle of another check.
 */
function makeClient(name, heartbeatIntervalMs = 30_000) {
  const c = Object.assign(client(name, { heartbeatIntervalMs, rejoinAfterMs: () => 200, reconnectAfterMs: () => 200 }),
    { frames: [], heartbeatOks: 0 });
  c.socket.onMessage((m) => {
    c.frames.push(m);
    if (m.topic === "phoenix" && m.event === "phx_reply" && m.payload && m.payload.status === "ok") c.heartbeatOks++;
  });
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

// ---------------------------------------------------------------------------

const A = makeClient("interop-a");
const B = makeClient("interop-b");
let chA, chB;

const checks = [
  ["connect and join", async () => {
    await connect(A, B);
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
    const H = makeClient("interop-h", 1000);
    await connect(H);
    const chH = channelFor(H, TOPIC);
    await reply(chH.ch.join(), "H join");
    const s0 = { errors: H.errors.length, closes: H.closes, opens: H.opens, hb: H.heartbeatOks };
    await sleep(2500);
    if (!H.socket.isConnected()) throw new Error("socket not connected");
    if (H.errors.length !== s0.errors) throw new Error(`onError fired: ${show(H.errors.slice(s0.errors))}`);
    if (H.closes !== s0.closes || H.opens !== s0.opens) throw new Error("reconnected during heartbeat window");
    if (H.heartbeatOks === s0.hb) throw new Error("no heartbeat reply in 2.5 s at one a second");
    await reply(chH.ch.leave(), "H leave");
    H.socket.disconnect();
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

await runChecks(checks, { skipRestIfFirstFails: true });
await finish();

// Burst test: the real phoenix.js client against a running Chorus node with its default limits.
// A publisher bursts 1 000 pushes to one topic without waiting: 1 000 ok replies, and it and a
// witness each receive the 1 000 broadcasts in order; then 800 pushes over three topics, all ok.
//
//   CHORUS_URL=ws://127.0.0.1:4000/socket node burst.mjs
//
// Env: CHORUS_STEP_TIMEOUT_MS (default 20000, bound on every await), CHORUS_TOTAL_TIMEOUT_MS
// (default 90000 -> exit 2), CHORUS_DEBUG=1. Output as interop.mjs: "ok - name" / "not ok -
// name: detail" per check, then "N passed, M failed"; exit 0 only if all passed.

import { randomBytes } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { start, until, reply, client, connect, runChecks, finish } from "./harness.mjs";

start("burst", { stepMs: 20_000, totalMs: 90_000 });
const RUN = randomBytes(6).toString("hex");

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
const pub = client("burst-publisher");
const witness = client("burst-witness");

const checks = [
  ["a burst of 1000 pushes to one topic: 1000 ok replies, 1000 broadcasts in order", async () => {
    await connect(pub, witness);
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
    const early = client("burst-early");
    await connect(early);
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

await runChecks(checks);
await finish();

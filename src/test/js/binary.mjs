// Interop test of binary payloads: phoenix.js pushes an ArrayBuffer as a Phoenix V2 binary
// message, and receives binary broadcasts as ArrayBuffers.
//
//   cd src/test/js && npm ci && CHORUS_URL=ws://127.0.0.1:4000/socket node binary.mjs
//
// Env: CHORUS_URL (default ws://127.0.0.1:4000/socket), CHORUS_API_URL and CHORUS_API_KEY (the
// management port and chorus.api.key: the backend's binary publish is checked when both are
// set), CHORUS_STEP_TIMEOUT_MS (default 10000, bound on every await), CHORUS_TOTAL_TIMEOUT_MS
// (default 60000, hard limit for the whole run -> exit 2), CHORUS_DEBUG=1 (phoenix.js logging).
// Output: one "ok - name" / "not ok - name: detail" line per check, then "N passed, M failed".
// Exit 0 only if all passed; 1 on failures; 2 on hard timeout.

import { randomBytes } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { start, show, until, reply, expectStatus, client, connect, runChecks, finish } from "./harness.mjs";

const { STEP_MS } = start("binary", { stepMs: 10_000, totalMs: 60_000 });
const API_URL = process.env.CHORUS_API_URL || "";
const API_KEY = process.env.CHORUS_API_KEY || "";
const TOPIC = `room:binary-${randomBytes(6).toString("hex")}`;

/** A fresh ArrayBuffer holding exactly these bytes (a Buffer's may be a slice of a larger pool). */
function arrayBuffer(bytes) {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

/** A received payload as a Buffer, after checking it is an ArrayBuffer as phoenix.js promises. */
function bytesOf(payload, what) {
  if (!(payload instanceof ArrayBuffer)) throw new Error(`${what}: expected an ArrayBuffer, got ${show(payload)}`);
  return Buffer.from(payload);
}

const makeClient = (name) => client(name, { rejoinAfterMs: () => 200, reconnectAfterMs: () => 200 });

/** Joins topic on client c; every "file", "b" and "j" message is recorded in arrival order. */
function channelFor(c, topic) {
  const ch = c.socket.channel(topic, {});
  const rec = { ch, got: [] };
  for (const event of ["file", "b", "j", "api"]) ch.on(event, (payload, ref) => rec.got.push({ event, payload, ref }));
  return rec;
}

// ---------------------------------------------------------------------------

const A = makeClient("binary-a");
const B = makeClient("binary-b");
let chA, chB;

const checks = [
  ["connect and join", async () => {
    await connect(A, B);
    chA = channelFor(A, TOPIC);
    chB = channelFor(B, TOPIC);
    const [ra, rb] = await Promise.all([reply(chA.ch.join(), `A join ${TOPIC}`), reply(chB.ch.join(), `B join ${TOPIC}`)]);
    expectStatus(ra, "ok", "A join");
    expectStatus(rb, "ok", "B join");
  }],

  ["an ArrayBuffer push is answered and both receive its bytes as an ArrayBuffer", async () => {
    const data = randomBytes(3 * 1024);
    const r = await reply(chA.ch.push("file", arrayBuffer(data)), "A push file");
    expectStatus(r, "ok", "binary push reply");
    for (const [who, rec] of [["A", chA], ["B", chB]]) {
      const m = await until(() => rec.got.find((x) => x.event === "file"), `${who} to receive the binary broadcast`);
      const got = bytesOf(m.payload, `${who}'s file`);
      if (!got.equals(data)) throw new Error(`${who} received ${got.length} bytes that differ from the ${data.length} pushed`);
    }
  }],

  ["JSON and binary pushes interleaved arrive in push order", async () => {
    const N = 20;
    const sent = [];
    const replies = [];
    for (let i = 0; i < N; i++) {
      if (i % 2 === 0) {
        const bytes = randomBytes(1 + (i * 37) % 500);
        sent.push({ event: "b", bytes });
        replies.push(reply(chB.ch.push("b", arrayBuffer(bytes)), `B push b ${i}`));
      } else {
        sent.push({ event: "j", n: i });
        replies.push(reply(chB.ch.push("j", { n: i }), `B push j ${i}`));
      }
    }
    for (const r of await Promise.all(replies)) expectStatus(r, "ok", "push reply");
    for (const [who, rec] of [["A", chA], ["B", chB]]) {
      const mine = () => rec.got.filter((x) => x.event === "b" || x.event === "j");
      await until(() => mine().length >= N, () => `${who} to receive ${N} messages (got ${mine().length})`);
      const got = mine();
      for (let i = 0; i < N; i++) {
        const want = sent[i], m = got[i];
        if (m.event !== want.event) throw new Error(`${who}'s message ${i} is "${m.event}", want "${want.event}"`);
        if (want.event === "b") {
          if (!bytesOf(m.payload, `${who}'s message ${i}`).equals(want.bytes)) throw new Error(`${who}'s message ${i}: other bytes`);
        } else if (!isDeepStrictEqual(m.payload, { n: want.n })) {
          throw new Error(`${who}'s message ${i} is ${show(m.payload)}, want ${show({ n: want.n })}`);
        }
      }
    }
  }],

  ["a backend's binary publish arrives as an ArrayBuffer", async () => {
    if (!API_URL || !API_KEY) throw new Error("CHORUS_API_URL and CHORUS_API_KEY are not set");
    const raw = randomBytes(2000);
    const asBase64 = randomBytes(100);
    const post = async (what, url, body, contentType) => {
      const res = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": contentType, Authorization: `Bearer ${API_KEY}` },
        body,
        signal: AbortSignal.timeout(STEP_MS),
      });
      if (res.status !== 200) throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
    };
    await post("raw publish", `${API_URL}/api/publish?topic=${encodeURIComponent(TOPIC)}&event=api`, raw, "application/octet-stream");
    await post("base64 publish", `${API_URL}/api/publish`,
      JSON.stringify({ topic: TOPIC, event: "api", binary: asBase64.toString("base64") }), "application/json");
    for (const [who, rec] of [["A", chA], ["B", chB]]) {
      const api = () => rec.got.filter((x) => x.event === "api");
      await until(() => api().length >= 2, () => `${who} to receive both published messages (got ${api().length})`);
      if (!bytesOf(api()[0].payload, `${who}'s raw one`).equals(raw)) throw new Error(`${who}: the raw publish arrived with other bytes`);
      if (!bytesOf(api()[1].payload, `${who}'s base64 one`).equals(asBase64)) throw new Error(`${who}: the base64 publish arrived with other bytes`);
    }
  }],

  ["the sockets stayed up", async () => {
    for (const c of [A, B]) {
      if (!c.socket.isConnected()) throw new Error(`socket ${c.name} is not connected`);
      if (c.closes > 0) throw new Error(`socket ${c.name} was closed ${c.closes} time(s): a binary frame was refused?`);
      if (c.errors.length) throw new Error(`socket ${c.name} had errors: ${show(c.errors)}`);
    }
  }],
];

await runChecks(checks, { skipRestIfFirstFails: true });
await finish();

// authToken test: phoenix.js's `authToken` option (the token in the Sec-WebSocket-Protocol
// subprotocol "base64url.bearer.phx.<btoa(token)>", beside "phoenix") against a running Chorus
// node in profile prod.
//
//   CHORUS_URL=ws://127.0.0.1:4000/socket CHORUS_TOKEN=<valid jwt> CHORUS_BAD_TOKEN=<bad jwt> node authtoken.mjs
//
// The tokens must allow room:* (PhoenixJsInteropTest mints them with the node's HS256 secret).
// Env: CHORUS_STEP_TIMEOUT_MS (default 10000, bound on every await), CHORUS_TOTAL_TIMEOUT_MS
// (default 60000 -> exit 2), CHORUS_DEBUG=1. Output as interop.mjs: "ok - name" / "not ok -
// name: detail" per check, then "N passed, M failed"; exit 0 only if all passed.

import { Socket } from "phoenix";
import WebSocket from "ws";
import { randomBytes } from "node:crypto";

const URL = process.env.CHORUS_URL || "ws://127.0.0.1:4000/socket";
const TOKEN = process.env.CHORUS_TOKEN;
const BAD_TOKEN = process.env.CHORUS_BAD_TOKEN;
const STEP_MS = Number(process.env.CHORUS_STEP_TIMEOUT_MS || 10_000);
const TOTAL_MS = Number(process.env.CHORUS_TOTAL_TIMEOUT_MS || 60_000);
const DEBUG = !!process.env.CHORUS_DEBUG;
const TOPIC = `room:authtoken-${randomBytes(6).toString("hex")}`;
/** How long a refused client is watched, to be sure it never opens (it keeps retrying meanwhile). */
const REFUSED_WATCH_MS = 3_000;

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

/** A phoenix.js socket with authToken (and nothing in params), counting opens and errors. */
function makeClient(name, authToken) {
  const socket = new Socket(URL, {
    transport: WebSocket,
    authToken,
    timeout: STEP_MS,
    reconnectAfterMs: () => 200,
    logger: DEBUG ? (kind, msg, data) => console.error(`[${name}] ${kind}: ${msg}`, data ?? "") : undefined,
  });
  const c = { name, socket, opens: 0, errors: 0 };
  socket.onOpen(() => c.opens++);
  socket.onError(() => c.errors++);
  sockets.push(socket);
  return c;
}

const checks = [
  ["a valid authToken connects, joins, pushes and receives", async () => {
    if (!TOKEN || !BAD_TOKEN) throw new Error("CHORUS_TOKEN and CHORUS_BAD_TOKEN must be set");
    const c = makeClient("good", TOKEN);
    c.socket.connect();
    await until(() => c.socket.isConnected(), () => `the socket to open (errors ${c.errors})`);
    const protocol = c.socket.conn && c.socket.conn.protocol;
    if (protocol !== "phoenix") throw new Error(`the server should select the "phoenix" subprotocol, selected "${protocol}"`);
    const ch = c.socket.channel(TOPIC, {});
    const got = [];
    ch.on("msg", (p) => got.push(p));
    const j = await reply(ch.join(), `join ${TOPIC}`);
    if (j.status !== "ok") throw new Error(`join: ${j.status} ${JSON.stringify(j.response)}`);
    const r = await reply(ch.push("msg", { hello: "authToken" }), "push");
    if (r.status !== "ok") throw new Error(`push: ${r.status} ${JSON.stringify(r.response)}`);
    await until(() => got.some((p) => p.hello === "authToken"), "the broadcast of the push");
  }],

  ["a bad authToken is refused and never opens", async () => {
    const c = makeClient("bad", BAD_TOKEN);
    c.socket.connect();
    await until(() => c.errors >= 2, () => `the refused upgrade to be reported twice (opens ${c.opens}, errors ${c.errors})`);
    await sleep(REFUSED_WATCH_MS); // it retries every 200 ms meanwhile: none of those may open either
    if (c.opens !== 0 || c.socket.isConnected()) throw new Error(`a socket with a bad token opened ${c.opens} time(s)`);
    c.socket.disconnect();
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

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

import { randomBytes } from "node:crypto";
import { start, sleep, until, reply, client, connect, runChecks, finish } from "./harness.mjs";

start("authtoken", { stepMs: 10_000, totalMs: 60_000 });
const TOKEN = process.env.CHORUS_TOKEN;
const BAD_TOKEN = process.env.CHORUS_BAD_TOKEN;
const TOPIC = `room:authtoken-${randomBytes(6).toString("hex")}`;
/** How long a refused client is watched, to be sure it never opens (it keeps retrying meanwhile). */
const REFUSED_WATCH_MS = 3_000;

/** A phoenix.js socket with authToken (and nothing in params), counting opens and errors. */
const makeClient = (name, authToken) => client(name, { authToken, params: undefined, reconnectAfterMs: () => 200 });

const checks = [
  ["a valid authToken connects, joins, pushes and receives", async () => {
    if (!TOKEN || !BAD_TOKEN) throw new Error("CHORUS_TOKEN and CHORUS_BAD_TOKEN must be set");
    const c = makeClient("good", TOKEN);
    await connect(c);
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
    await until(() => c.errors.length >= 2, () => `the refused upgrade to be reported twice (opens ${c.opens}, errors ${c.errors.length})`);
    await sleep(REFUSED_WATCH_MS); // it retries every 200 ms meanwhile: none of those may open either
    if (c.opens !== 0 || c.socket.isConnected()) throw new Error(`a socket with a bad token opened ${c.opens} time(s)`);
    c.socket.disconnect();
  }],
];

await runChecks(checks);
await finish();

// Hooks test: phoenix.js against a running Chorus node whose "room" namespace has the publish,
// rpc (event "get_profile") and join hooks on, with a backend (PhoenixJsInteropTest's) that
// answers: join -> allow with reply {"role": "member"}; get_profile -> {"reply": {"name": "Ann"}};
// a push whose body is "bad" -> refuse "no bad words"; any other push -> allow.
//
//   CHORUS_URL=ws://127.0.0.1:4000/socket node hooks.mjs
//
// Env: CHORUS_STEP_TIMEOUT_MS (default 10000, bound on every await), CHORUS_TOTAL_TIMEOUT_MS
// (default 60000 -> exit 2), CHORUS_DEBUG=1. Output as interop.mjs: "ok - name" / "not ok -
// name: detail" per check, then "N passed, M failed"; exit 0 only if all passed.

import { Socket } from "phoenix";
import WebSocket from "ws";
import { randomBytes } from "node:crypto";

const URL = process.env.CHORUS_URL || "ws://127.0.0.1:4000/socket";
const STEP_MS = Number(process.env.CHORUS_STEP_TIMEOUT_MS || 10_000);
const TOTAL_MS = Number(process.env.CHORUS_TOTAL_TIMEOUT_MS || 60_000);
const DEBUG = !!process.env.CHORUS_DEBUG;
const TOPIC = `room:hooks-${randomBytes(6).toString("hex")}`;

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
    if (Date.now() >= deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
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

/** A connected phoenix.js socket joined to TOPIC; its "msg" and "get_profile" broadcasts collected. */
async function joined(name) {
  const socket = new Socket(URL, {
    transport: WebSocket,
    params: { user: name },
    timeout: STEP_MS,
    logger: DEBUG ? (kind, msg, data) => console.error(`[${name}] ${kind}: ${msg}`, data ?? "") : undefined,
  });
  sockets.push(socket);
  socket.connect();
  await until(() => socket.isConnected(), `${name}'s socket to open`);
  const channel = socket.channel(TOPIC, {});
  const got = [];
  channel.on("msg", (p) => got.push(p));
  channel.on("get_profile", (p) => got.push({ rpcBroadcast: p }));
  const j = await reply(channel.join(), `${name}'s join`);
  if (j.status !== "ok") throw new Error(`${name}'s join: ${j.status} ${JSON.stringify(j.response)}`);
  return { socket, channel, got, joinResponse: j.response };
}

let ann;
let witness;

const checks = [
  ["a join gets the join hook's reply", async () => {
    ann = await joined("ann");
    witness = await joined("witness");
    if (ann.joinResponse.role !== "member") throw new Error(`join response: ${JSON.stringify(ann.joinResponse)}`);
  }],

  ["an RPC push gets the backend's reply and is not broadcast", async () => {
    const r = await reply(ann.channel.push("get_profile", { id: "u1" }), "get_profile");
    if (r.status !== "ok" || r.response.name !== "Ann") throw new Error(`reply: ${r.status} ${JSON.stringify(r.response)}`);
    const m = await reply(ann.channel.push("msg", { body: "after rpc" }), "msg after rpc");
    if (m.status !== "ok") throw new Error(`msg: ${m.status} ${JSON.stringify(m.response)}`);
    await until(() => witness.got.some((p) => p.body === "after rpc"), "the witness to get the push after the RPC");
    if (witness.got.some((p) => p.rpcBroadcast)) throw new Error(`the RPC was broadcast: ${JSON.stringify(witness.got)}`);
  }],

  ["a refused publish gets the refusal's reason as its error reply", async () => {
    const r = await reply(ann.channel.push("msg", { body: "bad" }), "bad msg");
    if (r.status !== "error" || r.response.reason !== "no bad words") {
      throw new Error(`reply: ${r.status} ${JSON.stringify(r.response)}`);
    }
    const m = await reply(ann.channel.push("msg", { body: "good" }), "good msg");
    if (m.status !== "ok") throw new Error(`good msg: ${m.status} ${JSON.stringify(m.response)}`);
    await until(() => witness.got.some((p) => p.body === "good"), "the witness to get the good push");
    if (witness.got.some((p) => p.body === "bad")) throw new Error("the refused push was broadcast");
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

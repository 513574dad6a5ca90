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

import { randomBytes } from "node:crypto";
import { start, until, reply, client, connect, runChecks, finish } from "./harness.mjs";

start("hooks", { stepMs: 10_000, totalMs: 60_000 });
const TOPIC = `room:hooks-${randomBytes(6).toString("hex")}`;

/** A connected phoenix.js socket joined to TOPIC; its "msg" and "get_profile" broadcasts collected. */
async function joined(name) {
  const c = client(name);
  await connect(c);
  const socket = c.socket;
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

await runChecks(checks);
await finish();

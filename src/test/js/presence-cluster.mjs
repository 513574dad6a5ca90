// Presence across a cluster, driven by a Java multi-JVM test (PresenceMultiJvmIT): N users join
// one room through phoenix.js, spread over the nodes, as fast as they can; every client's
// Presence.list() must converge to the same N keys. Then the test SIGKILLs the last node and
// writes "killed" on stdin: the users of that node must vanish from every surviving client's
// list, and nobody else may.
//
// Env: CHORUS_URLS (comma-separated ws://.../socket, one per node), CHORUS_USERS (default 300),
// CHORUS_CONVERGE_MS (default 15000), CHORUS_CLEANUP_MS (default 40000).
// Prints "converged <ms>", then "cleaned <ms>"; exit 0 on success, 1 with "failed: ..." otherwise.

import { Presence } from "phoenix";
import { createInterface } from "node:readline";
import { sleep, client } from "./harness.mjs";

const URLS = (process.env.CHORUS_URLS || "").split(",").filter(Boolean);
const USERS = Number(process.env.CHORUS_USERS || 300);
const CONVERGE_MS = Number(process.env.CHORUS_CONVERGE_MS || 15_000);
const CLEANUP_MS = Number(process.env.CHORUS_CLEANUP_MS || 40_000);
const TOPIC = "room:presence-cluster";

function fail(why) {
  console.log(`failed: ${why}`);
  process.exit(1);
}

const clients = [];
for (let i = 0; i < USERS; i++) {
  const node = i % URLS.length;
  const user = `u${i}`;
  const { socket } = client(user, { reconnectAfterMs: () => 60_000 }, URLS[node]);
  socket.connect();
  const channel = socket.channel(TOPIC, {});
  const presence = new Presence(channel);
  const c = { user, node, socket, keys: new Set() };
  presence.onSync(() => {
    const keys = new Set();
    presence.list((key) => keys.add(key));
    c.keys = keys;
  });
  channel.join().receive("error", (e) => fail(`${user} join refused: ${JSON.stringify(e)}`));
  clients.push(c);
}

const start = Date.now();
const everyone = clients.map((c) => c.user);
const sees = (c, users) => c.keys.size === users.length && users.every((u) => c.keys.has(u));
while (!clients.every((c) => sees(c, everyone))) {
  if (Date.now() - start > CONVERGE_MS) {
    const worst = clients.reduce((a, c) => (c.keys.size < a.keys.size ? c : a));
    fail(`not converged after ${CONVERGE_MS} ms: ${worst.user} (node ${worst.node + 1}) sees ${worst.keys.size} of ${USERS}`);
  }
  await sleep(50);
}
console.log(`converged ${Date.now() - start}`);

const lines = createInterface({ input: process.stdin });
await new Promise((resolve) => lines.once("line", resolve));
const killedAt = Date.now();
const dead = URLS.length - 1;
for (const c of clients) if (c.node === dead) c.socket.disconnect();
const survivors = clients.filter((c) => c.node !== dead);
const remaining = survivors.map((c) => c.user);
while (!survivors.every((c) => sees(c, remaining))) {
  for (const c of survivors) {
    const lost = remaining.find((u) => !c.keys.has(u));
    if (lost) fail(`${c.user} lost ${lost}, who is on a surviving node`);
  }
  if (Date.now() - killedAt > CLEANUP_MS) {
    const worst = survivors.find((c) => !sees(c, remaining));
    fail(`dead node's users still listed after ${CLEANUP_MS} ms: ${worst.user} sees ${worst.keys.size}, expected ${remaining.length}`);
  }
  await sleep(50);
}
console.log(`cleaned ${Date.now() - killedAt}`);
for (const c of clients) c.socket.disconnect();
process.exit(0);

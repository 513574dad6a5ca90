// Presence interop: the real phoenix.js `Presence` against a running Chorus node whose
// `room` namespace has presence on (the default).
//
//   cd src/test/js && npm ci && CHORUS_URL=ws://127.0.0.1:4000/socket node presence.mjs
//
// Checks: two clients with Presence.onSync see each other; a second tab of one user is one key
// with two metas; a leave updates the others; custom meta from the join arrives.
// Env: CHORUS_URL, CHORUS_STEP_TIMEOUT_MS (default 10000), CHORUS_TOTAL_TIMEOUT_MS (default 60000).
// Output: "ok - name" / "not ok - name: detail" per check, then "N passed, M failed".

import { Presence } from "phoenix";
import { randomBytes } from "node:crypto";
import { start, until, client as socketClient, check, finish } from "./harness.mjs";

start("presence", { stepMs: 10_000, totalMs: 60_000 });
const TOPIC = `room:presence-${randomBytes(6).toString("hex")}`;

/** A client: a socket as `user`, joined to TOPIC, with a Presence whose list it keeps. */
async function client(user, meta) {
  const { socket } = socketClient(user, { reconnectAfterMs: () => 200 });
  socket.connect();
  const channel = socket.channel(TOPIC, meta ? { meta } : {});
  const presence = new Presence(channel);
  const c = { user, socket, channel, presence, list: {} };
  presence.onSync(() => {
    c.list = {};
    presence.list((key, { metas }) => (c.list[key] = metas));
  });
  await new Promise((resolve, reject) => {
    channel.join().receive("ok", resolve).receive("error", (e) => reject(new Error(JSON.stringify(e))));
  });
  return c;
}

const keys = (c) => Object.keys(c.list).sort().join(",");

try {
  let ada, bob, bobTab2;
  await check("two clients see each other", async () => {
    ada = await client("ada");
    bob = await client("bob", { status: "away" });
    await until(() => keys(ada) === "ada,bob" && keys(bob) === "ada,bob", () => `ada sees ${keys(ada)}, bob sees ${keys(bob)}`);
  });
  await check("custom meta from the join arrives", async () => {
    await until(() => ada.list.bob && ada.list.bob[0].status === "away", () => JSON.stringify(ada.list.bob));
    if (typeof ada.list.bob[0].phx_ref !== "string") throw new Error("no phx_ref: " + JSON.stringify(ada.list.bob[0]));
  });
  await check("a second tab is one key with two metas", async () => {
    bobTab2 = await client("bob");
    await until(() => ada.list.bob && ada.list.bob.length === 2, () => JSON.stringify(ada.list));
    if (keys(ada) !== "ada,bob") throw new Error(`keys ${keys(ada)}`);
    await until(() => bobTab2.list.bob && bobTab2.list.bob.length === 2, () => JSON.stringify(bobTab2.list));
  });
  await check("leaving updates the others", async () => {
    await new Promise((resolve) => bob.channel.leave().receive("ok", resolve));
    await until(() => ada.list.bob && ada.list.bob.length === 1, () => JSON.stringify(ada.list));
    bobTab2.socket.disconnect();
    await until(() => keys(ada) === "ada", () => `ada sees ${keys(ada)}`);
  });
} finally {
  await finish();
}

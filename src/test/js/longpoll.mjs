// LongPoll interop: the real phoenix.js client over its LongPoll transport against Chorus,
// exchanging with phoenix.js clients over WebSockets.
//
//   CHORUS_URL=ws://127.0.0.1:4000/socket node longpoll.mjs
//   CHORUS_URL=ws://127.0.0.1:4000/socket CHORUS_URL_2=ws://127.0.0.1:4001/socket node longpoll.mjs
//
// With one URL: phoenix.js with `transport: LongPoll` joins, pushes and receives broadcasts from
// a WebSocket client and the other way round; then, with `longPollFallbackMs`, phoenix.js
// connects through a small HTTP proxy started here that refuses WebSocket upgrades (as a
// network that blocks them) and forwards plain HTTP: it must end on LongPoll and work.
// With CHORUS_URL_2 (two nodes of one cluster): the LongPoll client's requests go through a
// round-robin proxy that sends each request to the other node in turn (a load balancer without
// sticky sessions), and its WebSocket peer is on the second node.
// Env: CHORUS_STEP_TIMEOUT_MS (default 15000), CHORUS_TOTAL_TIMEOUT_MS (default 90000),
// CHORUS_DEBUG=1. Output: "ok - name" / "not ok - name: detail" lines, then "N passed, M failed".

import { LongPoll } from "phoenix";
import WebSocket from "ws";
import http from "node:http";
import { randomBytes } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { start, show, has, until, reply, client, connect, runChecks, finish } from "./harness.mjs";

const { URL: URL1 } = start("longpoll", { stepMs: 15_000, totalMs: 90_000 });
const URL2 = process.env.CHORUS_URL_2 || "";
const TOPIC = `room:longpoll-${randomBytes(6).toString("hex")}`;
const servers = [];

const hostPort = (url) => { const u = new globalThis.URL(url.replace(/^ws/, "http")); return { host: u.hostname, port: Number(u.port) }; };

/**
 * A plain HTTP proxy on a free port: each request goes to the next of `upstreams` in turn
 * (round robin, nothing sticky); WebSocket upgrades are refused (403) when `blockUpgrades`.
 * Counts the requests each upstream got.
 */
function startProxy(upstreams, { blockUpgrades }) {
  let next = 0;
  const counts = upstreams.map(() => 0);
  const server = http.createServer((req, res) => {
    const i = next++ % upstreams.length;
    counts[i]++;
    const up = http.request({ ...upstreams[i], path: req.url, method: req.method, headers: req.headers }, (ur) => {
      res.writeHead(ur.statusCode, ur.headers);
      ur.pipe(res);
    });
    up.on("error", (e) => { res.writeHead(502); res.end(String(e)); });
    req.pipe(up);
  });
  server.on("upgrade", (req, socket) => {
    if (blockUpgrades) {
      socket.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    } else {
      socket.destroy();
    }
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ url: `ws://127.0.0.1:${server.address().port}/socket`, counts })));
}

const makeClient = (name, url, opts) =>
  client(name, { heartbeatIntervalMs: 2000, rejoinAfterMs: () => 200, reconnectAfterMs: () => 200, ...opts }, url);

function channelFor(c, topic) {
  const ch = c.socket.channel(topic, {});
  const rec = { ch, msgs: [] };
  ch.on("msg", (p) => rec.msgs.push(p));
  return rec;
}

async function joined(c, topic) {
  const rec = channelFor(c, topic);
  const r = await reply(rec.ch.join(), `${c.name} join ${topic}`);
  if (r.status !== "ok") throw new Error(`${c.name} join: ${show(r)}`);
  return rec;
}

/** a pushes, b receives, and the other way round. */
async function exchange(a, chA, b, chB, tag) {
  const one = { body: `${tag} from ${a.name}` };
  const r1 = await reply(chA.ch.push("msg", one), `${a.name} push`);
  if (r1.status !== "ok") throw new Error(`${a.name} push: ${show(r1)}`);
  await until(() => has(chB.msgs, one), () => `${b.name} to receive ${show(one)} (got ${show(chB.msgs)})`);
  await until(() => has(chA.msgs, one), () => `${a.name} to receive its own ${show(one)}`);
  const two = { body: `${tag} from ${b.name}` };
  const r2 = await reply(chB.ch.push("msg", two), `${b.name} push`);
  if (r2.status !== "ok") throw new Error(`${b.name} push: ${show(r2)}`);
  await until(() => has(chA.msgs, two), () => `${a.name} to receive ${show(two)} (got ${show(chA.msgs)})`);
  // a burst, in order, both ways
  for (let i = 0; i < 20; i++) chA.ch.push("msg", { n: i, from: a.name });
  await until(() => chB.msgs.filter((m) => m.from === a.name).length === 20, `${b.name} to receive 20 from ${a.name}`);
  const ns = chB.msgs.filter((m) => m.from === a.name).map((m) => m.n);
  if (!isDeepStrictEqual(ns, [...Array(20).keys()])) throw new Error(`out of order: ${show(ns)}`);
  // round trips one at a time: each a POST and a poll answer of their own (through the proxy: on either node)
  for (let i = 0; i < 5; i++) {
    const ping = { ping: i, from: a.name };
    chA.ch.push("msg", ping);
    await until(() => has(chB.msgs, ping), () => `${b.name} to receive ${show(ping)}`);
    const pong = { pong: i, from: b.name };
    chB.ch.push("msg", pong);
    await until(() => has(chA.msgs, pong), () => `${a.name} to receive ${show(pong)}`);
  }
}

const cluster = !!URL2;
const checks = [];

checks.push([cluster ? "LongPoll through a round-robin proxy over two nodes, with a WebSocket client on node 2"
  : "LongPoll and WebSocket clients in one room", async () => {
  const upstreams = cluster ? [hostPort(URL1), hostPort(URL2)] : [hostPort(URL1)];
  const proxy = await startProxy(upstreams, { blockUpgrades: true });
  const lp = makeClient("lp", proxy.url, { transport: LongPoll });
  const ws = makeClient("ws", cluster ? URL2 : URL1, { transport: WebSocket });
  await connect(lp, ws);
  const chLp = await joined(lp, TOPIC);
  const chWs = await joined(ws, TOPIC);
  await exchange(lp, chLp, ws, chWs, "lp");
  if (cluster && !(proxy.counts[0] > 10 && proxy.counts[1] > 10)) throw new Error(`requests not spread: ${show(proxy.counts)}`);
  if (lp.opens !== 1) throw new Error(`the LongPoll client reconnected: ${lp.opens} opens, errors ${show(lp.errors)}`);
  console.log(`# proxy requests per node: ${show(proxy.counts)}`);
}]);

if (!cluster) {
  checks.push(["longPollFallbackMs with WebSockets blocked ends on LongPoll and works", async () => {
    const proxy = await startProxy([hostPort(URL1)], { blockUpgrades: true });
    const fb = makeClient("fallback", proxy.url, { transport: WebSocket, longPollFallbackMs: 500 });
    const ws = makeClient("ws2", URL1, { transport: WebSocket });
    await connect(fb, ws);
    if (fb.socket.transport !== LongPoll) throw new Error(`transport is ${fb.socket.transportName(fb.socket.transport)}, not LongPoll`);
    const topic = `${TOPIC}-fb`;
    const chFb = await joined(fb, topic);
    const chWs = await joined(ws, topic);
    await exchange(ws, chWs, fb, chFb, "fb");
  }]);
}

await runChecks(checks);
for (const s of servers) s.close();
await finish();

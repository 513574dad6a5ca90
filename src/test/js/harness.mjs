// The harness the Node test scripts here share (interop.mjs, presence.mjs, binary.mjs, ...):
// only Node 20 and the packages of package.json (phoenix, ws; the browser scripts find Debian's
// Chromium for playwright-core with findChromium).
//
//   import { start, until, reply, client, connect, runChecks, finish } from "./harness.mjs";
//   const { STEP_MS } = start("interop", { stepMs: 10_000, totalMs: 60_000 }); // arms the hard timeout
//   const A = client("interop-a", { rejoinAfterMs: () => 200 });
//   await runChecks([["connect and join", async () => { await connect(A); ... }], ...], { skipRestIfFirstFails: true });
//   await finish(); // prints the count, disconnects, exits
//
// Env: CHORUS_URL (default ws://127.0.0.1:4000/socket), CHORUS_STEP_TIMEOUT_MS (the bound on
// every until / reply / push; the script's default otherwise), CHORUS_TOTAL_TIMEOUT_MS (the
// hard limit for the whole run; the script's default otherwise), CHORUS_DEBUG=1 (phoenix.js
// logging to stderr).
// Output, which the JUnit tests match on: one "ok - name" / "not ok - name: detail" line per
// check, then "N passed, M failed". Exit 0 only if all passed, 1 on failures; on the hard
// timeout "not ok - <current check>: hard timeout, whole run exceeded <ms> ms", the count (that
// check failed) and exit 2.

import { Socket } from "phoenix";
import WebSocket from "ws";
import { isDeepStrictEqual } from "node:util";
import { existsSync } from "node:fs";

export const URL = process.env.CHORUS_URL || "ws://127.0.0.1:4000/socket";
export const DEBUG = !!process.env.CHORUS_DEBUG;

/** The run's counts and the check under way; a script may bump `failed` for an error outside a check. */
export const tally = { passed: 0, failed: 0, current: "startup" };

const config = { stepMs: 10_000, timed: false, firstLine: false };
const sockets = [];
let hardTimer = null;

/**
 * Starts the run of script `name`: reads the timeouts (the script's defaults unless the env sets
 * them) and arms the hard timeout. `server` names what is not answering in the abort message.
 * `timed` adds "(N ms)" to each ok line; `firstLine` keeps only the first line of a failure's
 * detail (playwright's errors carry a call log after it).
 * Returns { URL, STEP_MS, TOTAL_MS, DEBUG }.
 */
export function start(name, { stepMs = 10_000, totalMs = 60_000, server = URL, timed = false, firstLine = false } = {}) {
  const STEP_MS = Number(process.env.CHORUS_STEP_TIMEOUT_MS || stepMs);
  const TOTAL_MS = Number(process.env.CHORUS_TOTAL_TIMEOUT_MS || totalMs);
  Object.assign(config, { stepMs: STEP_MS, timed, firstLine });
  hardTimer = setTimeout(() => {
    console.log(`not ok - ${tally.current}: hard timeout, whole run exceeded ${TOTAL_MS} ms`);
    tally.failed++;
    console.log(`${tally.passed} passed, ${tally.failed} failed`);
    console.error(`${name}: aborted after ${TOTAL_MS} ms (server at ${server} not responding?)`);
    process.exit(2); // playwright kills a browser it launched when this process exits
  }, TOTAL_MS);
  return { URL, STEP_MS, TOTAL_MS, DEBUG };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const show = (v) => JSON.stringify(v);
/** Whether list holds a value deep-equal to payload. */
export const has = (list, payload) => list.some((p) => isDeepStrictEqual(p, payload));

/** Polls cond() until truthy and resolves with its value; rejects after ms. `what` may be a function, evaluated on timeout. */
export async function until(cond, what, ms = config.stepMs) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = cond();
    if (v) return v;
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${typeof what === "function" ? what() : what}`);
    }
    await sleep(10);
  }
}

/** Resolves with {status, response} of a phoenix Push (ok / error / timeout), bounded by ms. */
export function reply(push, what, ms = config.stepMs) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for reply to ${what}`)), ms);
    for (const status of ["ok", "error", "timeout"]) {
      push.receive(status, (response) => { clearTimeout(t); resolve({ status, response }); });
    }
  });
}

/** Throws unless reply r (from reply()) has this status. */
export function expectStatus(r, status, what) {
  if (r.status !== status) throw new Error(`${what}: expected "${status}", got "${r.status}" ${show(r.response)}`);
}

/**
 * A phoenix.js Socket to `url` as user `name` over WebSocket, its pushes bounded by the step
 * timeout, logging under CHORUS_DEBUG; `opts` add to or override these (e.g. `transport`,
 * `authToken`, `params: undefined`). Not connected yet; finish() disconnects it.
 * Returns { name, socket, errors, opens, closes }, kept by the socket's onError / onOpen / onClose.
 */
export function client(name, opts = {}, url = URL) {
  const socket = new Socket(url, {
    transport: WebSocket,
    params: { user: name },
    timeout: config.stepMs,
    logger: DEBUG ? (kind, msg, data) => console.error(`[${name}] ${kind}: ${msg}`, data ?? "") : undefined,
    ...opts,
  });
  const c = { name, socket, errors: [], opens: 0, closes: 0 };
  socket.onOpen(() => c.opens++);
  socket.onError((e) => c.errors.push(String(e && (e.message || e.type || e))));
  socket.onClose(() => c.closes++);
  sockets.push(socket);
  return c;
}

/** Connects the clients' sockets and waits (a step at most) until all of them are connected. */
export async function connect(...clients) {
  for (const c of clients) c.socket.connect();
  const errors = (c) => `${c.errors.length} error(s)${c.errors.length ? `, the last ${show(c.errors.at(-1))}` : ""}`;
  await until(() => clients.every((c) => c.socket.isConnected()), () => `${clients.map((c) => c.name).join(" and ")} to connect (`
    + clients.map((c) => `${c.name} to ${c.socket.endPoint}: ${errors(c)}`).join("; ") + ")");
}

/** Runs one check, printing "ok - name" or "not ok - name: detail"; resolves true when it passed. */
export async function check(name, fn) {
  tally.current = name;
  const begun = Date.now();
  try {
    await fn();
    tally.passed++;
    console.log(`ok - ${name}${config.timed ? ` (${Date.now() - begun} ms)` : ""}`);
    return true;
  } catch (e) {
    tally.failed++;
    const detail = String(e && e.message ? e.message : e);
    console.log(`not ok - ${name}: ${config.firstLine ? detail.split("\n")[0] : detail}`);
    return false;
  }
}

/**
 * Runs [name, fn] checks in order. With skipRestIfFirstFails, a failed first check (connecting,
 * say) fails the others as "not ok - name: skipped (<first> failed)" instead of letting each time out.
 */
export async function runChecks(checks, { skipRestIfFirstFails = false } = {}) {
  for (const [i, [name, fn]] of checks.entries()) {
    const ok = await check(name, fn);
    if (!ok && i === 0 && skipRestIfFirstFails) {
      for (const [rest] of checks.slice(1)) {
        tally.failed++;
        console.log(`not ok - ${rest}: skipped (${name} failed)`);
      }
      return;
    }
  }
}

/** Ends the run: disarms the hard timeout, prints "N passed, M failed", disconnects every client (1 s at most) and exits 0 or 1. */
export async function finish() {
  clearTimeout(hardTimer);
  console.log(`${tally.passed} passed, ${tally.failed} failed`);
  await Promise.race([
    Promise.all(sockets.map((s) => new Promise((r) => s.disconnect(r)))),
    sleep(1000),
  ]);
  process.exit(tally.failed === 0 ? 0 : 1);
}

/** Debian's Chromium (src/test/browser/ensure-chromium.sh installs it); never a download. */
export function findChromium() {
  const candidates = process.env.CHROMIUM_PATH
    ? [process.env.CHROMIUM_PATH]
    : ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium"];
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(`no Chromium at ${candidates.join(", ")}: src/test/browser/ensure-chromium.sh installs `
      + "Debian's chromium package (the Maven build runs it), or set CHROMIUM_PATH");
  }
  return found;
}

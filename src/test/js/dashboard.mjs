// The operators' dashboard (src/main/web/dashboard, served at /dashboard/ on the management port) in
// a real headless Chromium, driven by playwright-core, against a running four-node cluster, with
// phoenix.js clients (from Node) on the nodes whose effects it must show and cause:
// refused without the key, logged in with it, four nodes seen, a client's connection counted,
// live charts, a room inspected, a user found and disconnected, a publish from the Actions form
// received by a client, node 4 killed (SIGKILL, by its pid) shown unreachable, node 3 drained
// from the overview (its client closed with 1012, the node shown draining), the page fitting a
// phone's width, and logging out.
//
//   cd src/test/js && CHORUS_DASHBOARD=http://127.0.0.1:7626 CHORUS_ADMIN_KEY=... \
//     CHORUS_URL_1=ws://127.0.0.1:4000/socket CHORUS_URL_2=... CHORUS_URL_3=... \
//     CHORUS_NODE_2=pekko://chorus@127.0.0.1:25521 CHORUS_NODE_3=pekko://chorus@127.0.0.1:25522 node dashboard.mjs
//
// DashboardMultiJvmIT runs it. Node 4 is killed (CHORUS_NODE_4_PID) and node 3 drained: it leaves
// the cluster and exits.
// Env: CHORUS_DASHBOARD (the management port's base URL of a node that is not drained),
// CHORUS_ADMIN_KEY, CHORUS_URL_<i> (node i's WebSocket endpoint), CHORUS_NODE_<i> (node i's cluster
// address, as admin/nodes names it), CHROMIUM_PATH (default: the first of /usr/bin/chromium,
// /usr/bin/chromium-browser, /usr/lib/chromium/chromium that exists; never a downloaded browser),
// CHORUS_SCREENSHOTS (default ../../../target/dashboard), CHORUS_STEP_TIMEOUT_MS (default 20000,
// the bound on every wait), CHORUS_TOTAL_TIMEOUT_MS (default 150000: the whole run, then exit 2).
// Output: "ok - name" / "not ok - name: detail" per check, then "N passed, M failed"; a screenshot
// of each view (<view>.png) whether the checks passed or not.

import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { findChromium, start, tally, check, client, connect, reply, expectStatus, until as waitFor, has, show, finish } from "./harness.mjs";

const BASE = process.env.CHORUS_DASHBOARD || "http://127.0.0.1:7626";
const KEY = process.env.CHORUS_ADMIN_KEY || "";
const WS = (i) => process.env[`CHORUS_URL_${i}`] || `ws://127.0.0.1:${4000 + i - 1}/socket`;
const NODE = (i) => process.env[`CHORUS_NODE_${i}`] || `pekko://chorus@127.0.0.1:${25520 + i - 1}`;
const SHOTS = process.env.CHORUS_SCREENSHOTS || fileURLToPath(new URL("../../../target/dashboard", import.meta.url));
const RUN = randomBytes(4).toString("hex");
const TOPIC = `room:dash-${RUN}`;

const { STEP_MS } = start("dashboard", { stepMs: 20_000, totalMs: 150_000, server: BASE, timed: true, firstLine: true });
let browser = null;
let page = null;
const errors = [];
const consoleLines = [];
const shots = [];

/** What the overview shows, for a failure's message. */
const overview = (p = page) => p.evaluate(() => ({
  summary: document.getElementById("cluster-summary")?.textContent,
  status: document.getElementById("overview-status")?.textContent,
  nodes: [...document.querySelectorAll("[data-testid=node]")].map((n) => ({
    address: n.dataset.address, status: n.dataset.status, reachable: n.dataset.reachable,
    draining: n.dataset.draining, connections: n.dataset.connections,
  })),
})).catch(() => "(page gone)");

/** Waits until `cond(arg)` holds in the page; on the deadline says what `shows()` reads there. */
async function until(what, cond, arg, shows = overview) {
  try {
    await page.waitForFunction(cond, arg, { timeout: STEP_MS, polling: 100 });
  } catch (e) {
    throw new Error(`timed out after ${STEP_MS} ms waiting for ${what}; the page shows ${JSON.stringify(await shows())}`);
  }
}

/**
 * Does `action` (a click that asks the server again) and waits a moment for `cond(arg)`, again and
 * again until the step's deadline: for what the cluster shows a little later (a join reaching the
 * room lists, presence replicated to the node answering).
 */
async function untilAfter(what, action, cond, arg, shows) {
  const deadline = Date.now() + STEP_MS;
  for (;;) {
    await action();
    try {
      await page.waitForFunction(cond, arg, { timeout: 1000, polling: 100 });
      return;
    } catch {
      if (Date.now() >= deadline) {
        throw new Error(`timed out after ${STEP_MS} ms waiting for ${what}; the page shows ${JSON.stringify(await shows())}`);
      }
    }
  }
}

async function shoot(name, p = page) {
  const path = join(SHOTS, `${name}.png`);
  await p.screenshot({ path, fullPage: true, timeout: STEP_MS }).then(
    () => shots.push(path),
    (e) => console.log(`# no screenshot ${name}: ${e.message.split("\n")[0]}`));
}

async function tab(view) {
  await page.click(`#tab-${view}`, { timeout: STEP_MS });
  await page.waitForSelector(`#view-${view}:not([hidden])`, { timeout: STEP_MS });
}

/** Answers the page's confirmation dialog, after checking that it names `mentions`. */
async function confirm(...mentions) {
  await page.waitForSelector("#confirm[open]", { timeout: STEP_MS });
  const text = await page.textContent("#confirm-text");
  for (const m of mentions) if (!text.includes(m)) throw new Error(`the confirmation does not mention "${m}": ${show(text)}`);
  await page.click("#confirm-ok", { timeout: STEP_MS });
}

/** The page has no horizontal scrolling at its width (a phone's). */
async function fitsWidth(p, what) {
  const [scroll, inner] = await p.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  if (scroll > inner + 1) throw new Error(`${what} is ${scroll} px wide in a ${inner} px window`);
}

// The phoenix.js clients: ada on node 2 in TOPIC (counted, inspected, looked up, receives the
// publish), bob on node 1 (disconnected from the Users view), carol on node 3 (drained). Bob and
// carol wait a minute before reconnecting, so that each close is seen once and nothing reconnects
// during the checks.
const ada = client(`dash-ada-${RUN}`, {}, WS(2));
const bob = client(`dash-bob-${RUN}`, { reconnectAfterMs: () => 60_000 }, WS(1));
const carol = client(`dash-carol-${RUN}`, { reconnectAfterMs: () => 60_000 }, WS(3));
const received = [];
const closeCodes = (c) => { const codes = []; c.socket.onClose((e) => codes.push(e && e.code)); return codes; };
const bobCloses = closeCodes(bob);
const carolCloses = closeCodes(carol);

try {
  const started = await check("headless Chromium starts", async () => {
    browser = await chromium.launch({ executablePath: findChromium(), headless: true, timeout: STEP_MS });
  });
  if (!started) throw new Error("stopped: no browser");
  mkdirSync(SHOTS, { recursive: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => consoleLines.push(`${m.type()}: ${m.text()}`));

  await check("without the key: the API is 401 and the login form says \"wrong key\"", async () => {
    const r = await context.request.get(`${BASE}/dashboard/admin/nodes`, { timeout: STEP_MS });
    if (r.status() !== 401) throw new Error(`GET /dashboard/admin/nodes without a session: ${r.status()} ${await r.text()}`);
    await page.goto(`${BASE}/dashboard`, { timeout: STEP_MS });
    await page.fill("input[name=key]", `not-${KEY}`, { timeout: STEP_MS });
    const [answer] = await Promise.all([
      page.waitForResponse((res) => res.url().endsWith("/dashboard/login"), { timeout: STEP_MS }),
      page.press("input[name=key]", "Enter"),
    ]);
    if (answer.status() !== 401) throw new Error(`a wrong key: ${answer.status()}`);
    await page.waitForSelector("text=wrong key", { timeout: STEP_MS });
    await shoot("login-wrong-key");
  });

  const loggedIn = await check("logging in with the key opens the dashboard (an HttpOnly, SameSite=Strict cookie)", async () => {
    await page.fill("input[name=key]", KEY, { timeout: STEP_MS });
    await page.press("input[name=key]", "Enter");
    await page.waitForURL(/\/dashboard\/(#.*)?$/, { timeout: STEP_MS });
    await page.waitForSelector("#tab-overview", { timeout: STEP_MS });
    const cookie = (await context.cookies(`${BASE}/dashboard/`)).find((c) => c.name === "chorus_dashboard");
    if (!cookie) throw new Error("no chorus_dashboard cookie");
    if (!cookie.httpOnly || cookie.sameSite !== "Strict") throw new Error(`the cookie: ${show(cookie)}`);
  });
  if (!loggedIn) throw new Error("stopped: not logged in");

  await check("a POST without X-Chorus-Dashboard is refused (403)", async () => {
    const r = await context.request.post(`${BASE}/dashboard/api/publish`, {
      data: { topic: TOPIC, event: "forged", payload: {} }, timeout: STEP_MS });
    if (r.status() !== 403) throw new Error(`${r.status()} ${await r.text()}`);
  });

  await check("the overview shows four nodes, Up, with their stats", async () => {
    await until("four nodes Up with stats", () => {
      const nodes = [...document.querySelectorAll("[data-testid=node]")];
      return nodes.length === 4 && nodes.every((n) => n.dataset.status === "Up" && n.dataset.connections !== undefined);
    });
    await shoot("overview");
  });

  await check("a phoenix.js client on node 2 is counted on node 2 and in the total", async () => {
    const before = Number(await page.getAttribute("#total-connections", "data-value"));
    await connect(ada, bob, carol);
    const ch = ada.socket.channel(TOPIC, {});
    ch.on("dash", (p) => received.push(p));
    expectStatus(await reply(ch.join(), `join ${TOPIC}`), "ok", `join ${TOPIC}`);
    await until(`node 2 with a connection and the total at ${before + 3} or more`, ([node2, total]) => {
      const card = document.querySelector(`[data-testid=node][data-address="${node2}"]`);
      return card && Number(card.dataset.connections) >= 1
        && Number(document.getElementById("total-connections")?.dataset.value) >= total;
    }, [NODE(2), before + 3]);
  });

  await check("the charts fill from the live stream", async () => {
    await tab("charts");
    await until("the connections chart with samples and the stream live", () =>
      Number(document.getElementById("chart-connections")?.dataset.points) >= 3
      && document.getElementById("stream-status").textContent.startsWith("live")
      && document.querySelectorAll("#chart-connections canvas").length > 0, null,
    () => page.evaluate(() => ({ status: document.getElementById("stream-status").textContent,
      points: document.getElementById("chart-connections")?.dataset.points })));
    await shoot("charts");
  });

  await check("the rooms view lists the client's room and inspects it", async () => {
    await tab("rooms");
    const roomShows = () => page.evaluate(() => ({
      largest: document.getElementById("largest-status").textContent,
      rooms: [...document.querySelectorAll("#largest tbody tr")].map((r) => r.textContent),
      inspector: document.getElementById("topic-result").textContent,
    }));
    await untilAfter(`${TOPIC} among the largest rooms`, () => page.click("#largest-refresh"),
      (topic) => !!document.querySelector(`#largest tbody tr[data-topic="${topic}"]`), TOPIC, roomShows);
    // Presence is replicated between the nodes (Distributed Data): node 1 may answer before it
    // has ada's join from node 2, so the inspector asks again until it shows her.
    await untilAfter(`the inspector on ${TOPIC} with its entity, the member on node 2 and presence`,
      () => page.click(`#largest tbody tr[data-topic="${TOPIC}"]`), ([topic, node2]) => {
        const entity = document.querySelector("[data-testid=topic-entity]");
        const presence = document.querySelector("[data-testid=topic-presence]");
        return entity && entity.textContent.includes(topic) && entity.textContent.includes("Entity on")
          && entity.textContent.includes(node2.replace(/^[a-z]+:\/\/[^@]*@/, ""))
          && presence && presence.textContent.includes("1 user, 1 connection");
      }, [TOPIC, NODE(2)], roomShows);
    await shoot("rooms");
  });

  await check("the users view finds bob's connection and disconnects him (4005)", async () => {
    await tab("users");
    await page.fill("#user", bob.name);
    await page.click("#lookup");
    await until("bob with one connection", () => document.getElementById("user-connections")?.dataset.value === "1", null,
      () => page.textContent("#user-result"));
    await page.click("#disconnect");
    await confirm(bob.name);
    await until("the disconnect's answer", () => document.querySelector("[data-testid=disconnect-result]")?.dataset.ok === "true", null,
      () => page.textContent("#user-result"));
    await waitFor(() => bobCloses.length > 0, "bob's socket to close");
    if (bobCloses[0] !== 4005) throw new Error(`bob closed with ${show(bobCloses)}, not 4005`);
    await shoot("users");
  });

  await check("a publish from the Actions form reaches the phoenix.js client", async () => {
    await tab("actions");
    const payload = { body: `from the dashboard <b>${RUN}</b>`, n: 1 };
    await page.fill("#pub-topic", TOPIC);
    await page.fill("#pub-event", "dash");
    await page.fill("#pub-payload", "{not json");
    await page.click("#publish");
    const refused = await page.textContent("#pub-payload-error");
    if (!refused.startsWith("not JSON")) throw new Error(`a bad payload is not flagged: ${show(refused)}`);
    if (await page.$("#confirm[open]")) throw new Error("a bad payload reached the confirmation");
    await page.fill("#pub-payload", JSON.stringify(payload));
    await page.click("#publish");
    await confirm(TOPIC, "dash");
    await until("the publish's answer", () => document.getElementById("publish-result").dataset.ok === "true", null,
      () => page.textContent("#publish-result"));
    await waitFor(() => has(received, payload), () => `ada to receive ${show(payload)} (got ${show(received)})`);
    await shoot("actions");
  });

  await check("node 4, killed (SIGKILL), shows unreachable and without an answer, then goes", async () => {
    const pid = Number(process.env.CHORUS_NODE_4_PID);
    if (!pid) throw new Error("CHORUS_NODE_4_PID is not set");
    await tab("overview");
    process.kill(pid, "SIGKILL");
    await until("node 4 unreachable", (node4) => {
      const card = document.querySelector(`[data-testid=node][data-address="${node4}"]`);
      return card && card.querySelector("[data-field=unreachable]") && card.querySelector("[data-field=no-answer]")
        && card.querySelector("button.drain").disabled // it could not take the request
        && document.getElementById("total-unreachable")?.textContent.includes("1 unreachable");
    }, NODE(4));
    await shoot("overview-unreachable");
    // Downed after stable-after (DashboardMultiJvmIT sets 10 s) and removed: its card goes. Only
    // then is node 3 drained, so that the cluster never has two of its four members gone at once.
    await until("node 4 removed", (node4) => !document.querySelector(`[data-testid=node][data-address="${node4}"]`), NODE(4));
  });

  await check("the overview drains node 3: its client is closed with 1012 and the node shows draining", async () => {
    await tab("overview");
    await page.click(`button.drain[data-address="${NODE(3)}"]`, { timeout: STEP_MS });
    await confirm(NODE(3), "1 connection");
    await until("the drain's answer", () => document.getElementById("drain-result").dataset.ok === "true", null,
      () => page.textContent("#drain-result"));
    await until("node 3 draining or leaving", (node3) => {
      const card = document.querySelector(`[data-testid=node][data-address="${node3}"]`);
      return card && (card.dataset.draining === "true" || ["Leaving", "Exiting"].includes(card.dataset.status));
    }, NODE(3));
    await shoot("overview-draining");
    await waitFor(() => carolCloses.length > 0, "carol's socket on node 3 to close");
    if (carolCloses[0] !== 1012) throw new Error(`carol closed with ${show(carolCloses)}, not 1012`);
  });

  await check("the overview and the charts fit a phone's width", async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
      storageState: await context.storageState() });
    try {
      const p = await phone.newPage();
      p.on("pageerror", (e) => errors.push(e.message));
      await p.goto(`${BASE}/dashboard/#overview`, { timeout: STEP_MS });
      await p.waitForSelector("[data-testid=node]", { timeout: STEP_MS });
      await fitsWidth(p, "the overview");
      await shoot("phone-overview", p);
      await p.click("#tab-charts");
      await p.waitForFunction(() => Number(document.getElementById("chart-connections")?.dataset.points) >= 1, null, { timeout: STEP_MS });
      await fitsWidth(p, "the charts");
      await shoot("phone-charts", p);
    } finally {
      await phone.close();
    }
  });

  await check("no script errors on the pages", async () => {
    if (errors.length) throw new Error(errors.join(" | "));
  });

  await check("logging out shows the login form and ends the session", async () => {
    await page.click("#logout");
    await page.waitForSelector("input[name=key]", { timeout: STEP_MS });
    const r = await context.request.get(`${BASE}/dashboard/admin/nodes`, { timeout: STEP_MS });
    if (r.status() !== 401) throw new Error(`GET /dashboard/admin/nodes after logging out: ${r.status()}`);
  });
} catch (e) {
  if (!tally.failed) tally.failed++; // an error outside a check
  console.log(`# ${e.message}`);
} finally {
  if (tally.failed && page) await shoot("failed");
  for (const s of shots) console.log(`screenshot: ${s}`);
  if (tally.failed) console.log(`# the page's console, last lines:\n#   ${consoleLines.slice(-15).join("\n#   ")}`);
  if (browser) await browser.close();
  await finish();
}

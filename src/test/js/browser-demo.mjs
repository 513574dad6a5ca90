// The demo page (src/main/web/index.html) in a real headless Chromium, driven by playwright-core:
// two people (two browser contexts, so nothing is shared between them) open the page of a
// running node, see each other in the presence list, and chat both ways.
//
//   cd src/test/js && npm ci && CHORUS_HTTP=http://127.0.0.1:4000 node browser-demo.mjs websocket
//
// The argument is the transport the pages must end up on:
//   websocket  the page as is (WebSocket, with phoenix.js's LongPoll fallback armed)
//   longpoll   the page with ?transport=longpoll (LongPoll from the start)
//   fallback   the page as is, but the browser's WebSockets to the node never get an answer
//              (as behind a proxy that lets the upgrade through and no frame after it): the
//              page must fall back to LongPoll by itself
// Env: CHORUS_HTTP (default http://127.0.0.1:4000), CHROMIUM_PATH (default: the first of
// /usr/bin/chromium, /usr/bin/chromium-browser, /usr/lib/chromium/chromium that exists; never
// a browser downloaded by playwright), CHORUS_SCREENSHOTS (default ../../../target/browser),
// CHORUS_STEP_TIMEOUT_MS (default 15000, bound on every wait), CHORUS_TOTAL_TIMEOUT_MS
// (default 90000, hard limit for the whole run -> exit 2).
// Output: "ok - name" / "not ok - name: detail" per check, then "N passed, M failed"; a
// screenshot of each page (<mode>-a.png, <mode>-b.png) whether the checks passed or not.

import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { findChromium, start, tally, check, finish } from "./harness.mjs";

const MODE = process.argv[2] || "websocket";
const BASE = process.env.CHORUS_HTTP || "http://127.0.0.1:4000";
const SHOTS = process.env.CHORUS_SCREENSHOTS || fileURLToPath(new URL("../../../target/browser", import.meta.url));
const EXPECTED = { websocket: "WebSocket", longpoll: "LongPoll", fallback: "LongPoll" }[MODE];
if (!EXPECTED) {
  console.log(`not ok - unknown mode "${MODE}" (websocket, longpoll or fallback)`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}
const ROOM = `browser-${MODE}-${randomBytes(4).toString("hex")}`;

const { STEP_MS } = start("browser-demo", { stepMs: 15_000, totalMs: 90_000, server: BASE, timed: true, firstLine: true });
let browser = null;

/** One person: a browser context of their own, and the demo page open in it as `user`. */
async function person(user) {
  const context = await browser.newContext({ viewport: { width: 900, height: 700 } });
  const p = { user, context, pages: [], errors: [], console: [], websockets: 0 };
  if (MODE === "fallback") {
    // Every WebSocket to the node is taken by this route and never connected to the server:
    // the page sees its upgrade succeed and then silence, so phoenix.js's health-check ping
    // goes unanswered and its longPollFallbackMs timer switches the socket to LongPoll.
    await context.routeWebSocket(/\/socket\/websocket/, () => { p.websockets++; });
  }
  await openTab(p);
  return p;
}

async function openTab(p) {
  const page = await p.context.newPage();
  page.on("pageerror", (e) => p.errors.push(e.message));
  page.on("console", (m) => p.console.push(`${m.type()}: ${m.text()}`));
  const query = new URLSearchParams({ user: p.user, room: ROOM });
  if (MODE === "longpoll") query.set("transport", "longpoll");
  await page.goto(`${BASE}/?${query}`, { timeout: STEP_MS });
  p.pages.push(page);
  return page;
}

/** Waits until `cond(arg)` holds in the page; on the deadline says what the page shows. */
async function until(page, what, cond, arg) {
  try {
    await page.waitForFunction(cond, arg, { timeout: STEP_MS, polling: 50 });
  } catch (e) {
    const shows = await page.evaluate(() => ({
      status: document.getElementById("status").textContent,
      transport: document.getElementById("transport").textContent,
      online: [...document.querySelectorAll("#online li")].map((li) => li.textContent),
      messages: [...document.querySelectorAll("#messages li")].map((li) => li.textContent),
    })).catch(() => "(page gone)");
    throw new Error(`timed out after ${STEP_MS} ms waiting for ${what}; the page shows ${JSON.stringify(shows)}`);
  }
}

const onlineLine = (page, user) => page.evaluate((u) => {
  const li = document.querySelector(`#online li[data-user="${u}"]`);
  return li && li.textContent;
}, user);

function seesOnline(page, user, tabs) {
  const text = `${tabs} ${tabs === 1 ? "tab" : "tabs"}`;
  return until(page, `${user} online with ${text}`, ([u, t]) => {
    const li = document.querySelector(`#online li[data-user="${u}"]`);
    return li && li.textContent.endsWith(t);
  }, [user, text]);
}

async function say(from, to, body) {
  const page = from.pages[0];
  await page.fill("#body", body, { timeout: STEP_MS });
  await page.press("#body", "Enter", { timeout: STEP_MS });
  const line = `${from.user}: ${body}`;
  const shown = (l) => [...document.querySelectorAll("#messages li")].some((li) => li.textContent === l);
  await until(to.pages[0], `"${line}" on ${to.user}'s page`, shown, line);
  await until(page, `"${line}" on ${from.user}'s own page`, shown, line);
}

let ada, bob;
try {
  // The checks after a failed start or join would only time out one after the other.
  const started = await check("headless Chromium starts", async () => {
    browser = await chromium.launch({ executablePath: findChromium(), headless: true, timeout: STEP_MS });
  });
  if (!started) throw new Error("stopped: no browser");

  const joined = await check(`two pages join ${ROOM} over ${EXPECTED}`, async () => {
    ada = await person("ada");
    bob = await person("bob");
    for (const p of [ada, bob]) {
      await until(p.pages[0], `${p.user} joined over ${EXPECTED}`, (t) =>
        document.getElementById("transport").textContent === t
        && document.getElementById("status").textContent.includes("joined"), EXPECTED);
    }
    if (MODE === "fallback" && (ada.websockets === 0 || bob.websockets === 0)) {
      throw new Error(`the pages did not try WebSocket first (${ada.websockets}, ${bob.websockets} attempts)`);
    }
  });
  if (!joined) throw new Error("stopped: the pages did not join");

  await check("each page lists both users as online, one tab each", async () => {
    for (const p of [ada, bob]) {
      await seesOnline(p.pages[0], "ada", 1);
      await seesOnline(p.pages[0], "bob", 1);
    }
    const self = await onlineLine(ada.pages[0], "ada");
    if (!self.includes("(you)")) throw new Error(`ada's own line is "${self}"`);
  });

  await check("a message from ada reaches bob", () => say(ada, bob, `hello from ada over ${EXPECTED}`));
  await check("a message from bob reaches ada", () => say(bob, ada, `hi ada, bob here over ${EXPECTED}`));

  // Over LongPoll a closed tab sends nothing: the server ends its session after its LongPoll
  // idle-timeout (BrowserDemoTest shortens it), and only then is the tab gone from the list.
  await check("a second tab of ada shows as 2 tabs, and 1 again when closed", async () => {
    const tab = await openTab(ada);
    await seesOnline(bob.pages[0], "ada", 2);
    await seesOnline(tab, "bob", 1);
    await tab.close();
    ada.pages.pop();
    await seesOnline(bob.pages[0], "ada", 1);
  });

  await check("no script errors on the pages", async () => {
    const errors = [...(ada?.errors ?? []), ...(bob?.errors ?? [])];
    if (errors.length) throw new Error(errors.join(" | "));
  });
} catch (e) {
  if (!tally.failed) tally.failed++; // an error outside a check
  console.log(`# ${e.message}`);
} finally {
  mkdirSync(SHOTS, { recursive: true });
  for (const [p, name] of [[ada, "a"], [bob, "b"]]) {
    if (!p) continue;
    const path = join(SHOTS, `${MODE}-${name}.png`);
    await p.pages[0].screenshot({ path, timeout: STEP_MS }).then(
      () => console.log(`screenshot: ${path}`),
      (e) => console.log(`no screenshot of ${p.user}'s page: ${e.message.split("\n")[0]}`));
    if (tally.failed) console.log(`# ${p.user}'s console, last lines:\n#   ${p.console.slice(-15).join("\n#   ")}`);
  }
  if (browser) await browser.close();
  await finish();
}

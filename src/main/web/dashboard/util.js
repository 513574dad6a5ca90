// What every view shares: the API call, building elements, formatting, the confirmation dialog.
// Data from the server only ever reaches the page as text (textContent), never as HTML.

const REQUEST_TIMEOUT_MS = 10_000;

/** An answer of the API other than 2xx, or no answer: `status` 0 when the request did not get one. */
export class ApiError extends Error {
  constructor(status, message) {
    super(status ? `${status}: ${message}` : message);
    this.status = status;
  }
}

/**
 * Calls the dashboard's admin or backend API (paths relative to /dashboard/, e.g. "admin/nodes")
 * and resolves with the parsed JSON. Every non-GET request carries X-Chorus-Dashboard: 1, the
 * server's guard against requests forged by other sites. A 401 means the session has ended: the
 * banner says so, and the call fails like any other.
 */
export async function api(method, path, body) {
  const init = { method, cache: "no-store", headers: {}, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) };
  if (method !== "GET") {
    init.headers["Content-Type"] = "application/json";
    init.headers["X-Chorus-Dashboard"] = "1";
    init.body = JSON.stringify(body ?? {});
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, e.name === "TimeoutError" ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` : `network error: ${e.message}`);
  }
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON: the text is the message */ }
  if (!response.ok) {
    if (response.status === 401) sessionEnded();
    const message = json && json.error ? json.error : text.slice(0, 200) || response.statusText;
    throw new ApiError(response.status, message);
  }
  return json;
}

export function sessionEnded() {
  document.getElementById("session-banner").hidden = false;
}

/** Percent-encodes one path segment (a topic such as "room:a/b" or a user id). */
export const segment = (s) => encodeURIComponent(s);

/**
 * Builds an element: el("td", { class: "num", title: "..." }, "text", child, ...). Strings become
 * text nodes; attributes starting with "on" are listeners; a boolean attribute (disabled) is set when
 * true and left out when false, data-* and aria-* ones get "true" / "false"; null and false children
 * are skipped.
 */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    const data = k.startsWith("data-") || k.startsWith("aria-"); // these keep "true" / "false" as text
    if (v == null || (v === false && !data)) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "class") e.className = v;
    else e.setAttribute(k, v === true && !data ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/** Replaces an element's children with these. */
export function fill(parent, ...children) {
  parent.replaceChildren(...children.flat(Infinity).filter((c) => c != null && c !== false));
}

/** Shows a result box: text, green or (err) red. */
export function showResult(box, text, err = false) {
  box.hidden = false;
  box.className = err ? "result err" : "result ok";
  box.dataset.ok = String(!err);
  box.textContent = text;
}

/** "127.0.0.1:25520" of "pekko://chorus@127.0.0.1:25520": the part that tells nodes apart. */
export const shortNode = (address) => String(address).replace(/^[a-z]+:\/\/[^@]*@/, "");

export function bytes(n) {
  if (n == null) return "–";
  const mb = n / (1024 * 1024);
  return mb >= 1024 ? `${(mb / 1024).toFixed(2)} GiB` : `${mb.toFixed(mb < 10 ? 1 : 0)} MiB`;
}

export function duration(seconds) {
  if (seconds == null) return "–";
  const s = Math.floor(seconds);
  if (s < 60) return `${s} s`;
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  if (d) return `${d} d ${h} h`;
  if (h) return `${h} h ${m} min`;
  return `${m} min ${s % 60} s`;
}

/** "1 connection", "3 connections". */
export const plural = (n, noun, nouns = `${noun}s`) => `${number(n)} ${n === 1 ? noun : nouns}`;

export function number(n, digits = 0) {
  return n == null ? "–" : Number(n).toLocaleString("en", { maximumFractionDigits: digits });
}

/** Asks the operator in the page's dialog; resolves true on Confirm, false on Cancel or Escape. */
export function confirmAction(text, okLabel = "Confirm") {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-ok").textContent = okLabel;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
  });
}

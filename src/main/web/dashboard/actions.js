// Actions: publish to a topic (POST api/publish), the payload checked in the page first (the API
// takes a JSON object), and confirmed.

import { api, confirmAction, showResult } from "./util.js";

export function startActions() {
  const payload = document.getElementById("pub-payload");
  payload.addEventListener("input", () => parsePayload());
  document.getElementById("publish-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const topic = document.getElementById("pub-topic").value.trim();
    const event = document.getElementById("pub-event").value.trim();
    const body = parsePayload();
    if (!topic || !event || body === undefined) return;
    const ok = await confirmAction(`Publish "${event}" to ${topic}?\n\nEvery member of the topic receives it, and it is kept in the topic's history.`, "Publish");
    if (!ok) return;
    const button = document.getElementById("publish");
    const result = document.getElementById("publish-result");
    button.disabled = true;
    try {
      const r = await api("POST", "api/publish", { topic, event, payload: body });
      showResult(result, `Published to ${r.topic}: epoch ${r.epoch}, seq ${r.seq}.`);
    } catch (err) {
      showResult(result, `Publish to ${topic} failed: ${err.message}`, true);
    } finally {
      button.disabled = false;
    }
  });
}

/** The payload as an object, or undefined (and the reason shown) when it is not a JSON object. */
function parsePayload() {
  const error = document.getElementById("pub-payload-error");
  let value;
  try {
    value = JSON.parse(document.getElementById("pub-payload").value);
  } catch (e) {
    error.textContent = `not JSON: ${e.message}`;
    return undefined;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    error.textContent = "the payload must be a JSON object ({...})";
    return undefined;
  }
  error.textContent = "";
  return value;
}

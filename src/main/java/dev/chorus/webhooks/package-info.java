/**
 * Webhooks: asynchronous events from Chorus to the backend (topic_occupied, topic_vacated,
 * user_joined, user_left, client_event). A topic's room entity decides what happened, using the
 * pure {@link dev.chorus.webhooks.Occupancy} and {@link dev.chorus.webhooks.LeaveDebounce}; the
 * node's {@link dev.chorus.webhooks.WebhookSender} batches, signs and POSTs the events, with
 * bounded retries and a bounded queue. See docs/hooks.md, "Webhooks".
 */
package dev.chorus.webhooks;

/**
 * The HTTP API for backends, on the management port behind its own bearer key: publish to
 * topics (sequenced and delivered like a client push), read a topic's history and presence,
 * disconnect a user's connections on every node.
 */
package dev.chorus.api;

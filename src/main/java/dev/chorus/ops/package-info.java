/**
 * The operators' side, on the Pekko Management port: health and readiness, Prometheus
 * {@code /metrics}, the cluster HTTP API with its changes behind the admin key
 * ({@link dev.chorus.ops.ClusterRoutes}), the admin API (connections, rooms, drain, the
 * cluster overview, live samples, topic inspector and user lookup) behind a bearer key, the
 * per-node services it asks ({@link dev.chorus.ops.NodeStatus}, {@link dev.chorus.ops.UserLookup}), the
 * {@link dev.chorus.ops.Drainer} that closes a node's WebSockets in batches before it leaves, and
 * {@link dev.chorus.ops.Operations}, through which these routes reach the running node.
 */
package dev.chorus.ops;

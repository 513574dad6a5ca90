/**
 * Where rooms live in the cluster: a consistent-hash ring of the nodes
 * ({@link dev.chorus.placement.HashRing}), the placement of shards on it
 * ({@link dev.chorus.placement.ShardPlacement}), and the Cluster Sharding allocation strategy
 * built on them, so that a node joining or leaving moves only the shards whose owner changed.
 * Pure code apart from the strategy's adapter to Pekko.
 */
package dev.chorus.placement;

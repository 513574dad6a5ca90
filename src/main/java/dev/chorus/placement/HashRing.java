package dev.chorus.placement;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A consistent-hash ring of nodes, each placed at {@code virtualNodes} points. A key belongs to
 * the node of the first point at or after the key's hash, going clockwise (wrapping around).
 *
 * <p>Adding a node only takes keys for the new node; removing one only gives away that node's
 * keys. Every node that builds a ring from the same node names computes the same owners: the
 * hash is MD5 of the UTF-8 bytes, fixed across JVMs and runs (unlike {@code String.hashCode},
 * which is too weak to spread similar names such as addresses differing in one port digit).
 *
 * <p>Immutable and thread-safe.
 */
public final class HashRing {
  private final Set<String> nodes;
  private final int virtualNodes;
  // Sorted by point, then node name, so that even a 64-bit collision resolves the same way
  // everywhere. Parallel arrays: a ring is searched once per shard allocation.
  private final long[] points;
  private final String[] owners;

  private HashRing(Set<String> nodes, int virtualNodes, long[] points, String[] owners) {
    this.nodes = nodes;
    this.virtualNodes = virtualNodes;
    this.points = points;
    this.owners = owners;
  }

  public static HashRing of(Collection<String> nodes, int virtualNodes) {
    if (virtualNodes < 1) {
      throw new IllegalArgumentException("virtualNodes must be at least 1, was " + virtualNodes);
    }
    Set<String> distinct = Collections.unmodifiableSet(new TreeSet<>(nodes));
    List<Point> all = new ArrayList<>(distinct.size() * virtualNodes);
    for (String node : distinct) {
      for (int i = 0; i < virtualNodes; i++) {
        all.add(new Point(hash(node + "#" + i), node));
      }
    }
    all.sort(Point.ORDER);
    long[] points = new long[all.size()];
    String[] owners = new String[all.size()];
    for (int i = 0; i < all.size(); i++) {
      points[i] = all.get(i).position();
      owners[i] = all.get(i).node();
    }
    return new HashRing(distinct, virtualNodes, points, owners);
  }

  /** The node that owns {@code key}. */
  public String owner(String key) {
    if (points.length == 0) {
      throw new IllegalStateException("the ring has no nodes");
    }
    int i = firstPointAtOrAfter(hash(key));
    return owners[i == points.length ? 0 : i];
  }

  public Set<String> nodes() {
    return nodes;
  }

  public int virtualNodes() {
    return virtualNodes;
  }

  // A lower bound rather than Arrays.binarySearch: with equal points binarySearch may return any
  // of them, and the owner must not depend on which.
  private int firstPointAtOrAfter(long h) {
    int lo = 0;
    int hi = points.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (points[mid] < h) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** The first 8 bytes of MD5 over the UTF-8 bytes, big-endian. */
  static long hash(String s) {
    byte[] digest = md5().digest(s.getBytes(StandardCharsets.UTF_8));
    long h = 0;
    for (int i = 0; i < 8; i++) {
      h = (h << 8) | (digest[i] & 0xFF);
    }
    return h;
  }

  private static MessageDigest md5() {
    try {
      return MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      // Every Java platform must provide MD5 (MessageDigest's documented required algorithms).
      throw new AssertionError(e);
    }
  }

  private record Point(long position, String node) {
    static final Comparator<Point> ORDER =
        Comparator.comparingLong(Point::position).thenComparing(Point::node);
  }
}

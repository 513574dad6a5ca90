package dev.chorus.ops;

/**
 * A quantile of the observations one interval added to a classic Prometheus histogram, from
 * its buckets' counts at the interval's start and end, computed as Prometheus's
 * {@code histogram_quantile} does: find the bucket where the quantile's rank falls and
 * interpolate linearly inside it (from 0 for the first bucket). A rank in the +Inf bucket
 * answers the highest finite bound, as Prometheus does: the histogram knows nothing above it.
 * Pure, so that it is tested without a node.
 */
public final class BucketQuantile {
  private BucketQuantile() {}

  /**
   * A histogram's classic buckets at one moment: ascending upper bounds (the last +Inf) and the
   * count of observations in each bucket (not cumulative, as the Prometheus client holds them).
   */
  public record Buckets(double[] upperBounds, long[] counts) {
    public static final Buckets EMPTY = new Buckets(new double[0], new long[0]);

    public Buckets {
      if (upperBounds.length != counts.length) throw new IllegalArgumentException("one count per bucket");
    }
  }

  /**
   * The {@code q} quantile (0..1) of what was observed between {@code before} and {@code after}
   * (same bounds), or null when nothing was.
   */
  public static Double of(double q, Buckets before, Buckets after) {
    long[] added = new long[after.counts().length];
    long total = 0;
    for (int i = 0; i < added.length; i++) {
      long was = i < before.counts().length ? before.counts()[i] : 0;
      added[i] = Math.max(0, after.counts()[i] - was); // counters only grow; a reset counts as none
      total += added[i];
    }
    if (total == 0) return null;
    double rank = q * total;
    double[] bounds = after.upperBounds();
    long below = 0;
    for (int i = 0; i < added.length; i++) {
      if (below + added[i] >= rank && added[i] > 0) {
        if (Double.isInfinite(bounds[i])) return i == 0 ? null : bounds[i - 1];
        double lower = i == 0 ? 0 : bounds[i - 1];
        return lower + (bounds[i] - lower) * (rank - below) / added[i];
      }
      below += added[i];
    }
    return bounds.length > 1 ? bounds[bounds.length - 2] : null; // not reached: the rank is at most the total
  }
}

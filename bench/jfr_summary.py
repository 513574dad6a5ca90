#!/usr/bin/env python3
"""What a JFR recording of a server says about its cost per delivery.

    bench/jfr_summary.py RECORDING.jfr DELIVERIES_PER_SECOND

Allocation: the sum over threads of jdk.ThreadAllocationStatistics (exact bytes each thread
allocated, sampled at the start and end of the recording), divided by the deliveries the
recording's span saw at the given rate. GC: every collection's pause (count, total, longest).
CPU: jdk.ThreadCPULoad is not summed here; the bench's --server-pid gives CPU per delivery.
"""
import json
import subprocess
import sys
from datetime import datetime


def events(path, names):
    out = subprocess.run(["jfr", "print", "--json", "--events", ",".join(names), path],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["recording"]["events"]


def when(e):
    return datetime.fromisoformat(e["values"]["startTime"].replace("Z", "+00:00"))


def main():
    path, rate = sys.argv[1], float(sys.argv[2])
    allocs = events(path, ["jdk.ThreadAllocationStatistics"])
    per_thread = {}
    for e in allocs:
        tid = e["values"]["thread"]["javaThreadId"] if e["values"]["thread"] else e["values"]["thread"]
        per_thread.setdefault(tid, []).append((when(e), e["values"]["allocated"]))
    allocated = sum(max(v for _, v in s) - min(v for _, v in s) for s in per_thread.values())
    times = [when(e) for e in allocs]
    span = (max(times) - min(times)).total_seconds() if times else 0
    gcs = events(path, ["jdk.GarbageCollection"])
    pauses = [e["values"]["sumOfPauses"] for e in gcs]

    def millis(d):  # JFR prints durations as ISO-8601, e.g. "PT0.0132S"
        return float(d[2:-1]) * 1000 if isinstance(d, str) else d / 1e6

    ms = [millis(p) for p in pauses]
    deliveries = rate * span
    print(json.dumps({
        "span_seconds": round(span, 2),
        "allocated_mib": round(allocated / 2**20, 1),
        "allocated_bytes_per_delivery": round(allocated / deliveries, 1) if deliveries else None,
        "gc_count": len(ms),
        "gc_pause_total_ms": round(sum(ms), 1),
        "gc_pause_max_ms": round(max(ms), 1) if ms else 0,
    }, indent=2))


if __name__ == "__main__":
    main()

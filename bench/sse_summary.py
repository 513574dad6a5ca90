#!/usr/bin/env python3
"""What a dashboard saw: reads the admin stream's events (GET /admin/stream, as compare.sh keeps
them with CHORUS_BENCH_DASHBOARDS) and prints how many samples came, how many a node left
unanswered (null), the longest gap between two samples, and the node's figures' medians.
   python3 bench/sse_summary.py bench-results/NAME-dashboard.sse"""
import json
import statistics
import sys

samples, nulls, times, figures = 0, 0, [], {}
event = None
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    if line.startswith("event:"):
        event = line[6:].strip()
    elif line.startswith("data:") and event == "sample":
        data = json.loads(line[5:])
        samples += 1
        times.append(data["t"])
        for node, sample in data["nodes"].items():
            if sample is None:
                nulls += 1
                continue
            for key in ("deliveries_per_s", "publishes_per_s", "fanout_p99_ms", "cpu_cores_used"):
                if sample.get(key) is not None:
                    figures.setdefault(key, []).append(sample[key])
gaps = [b - a for a, b in zip(times, times[1:])]
print(f"samples: {samples}, unanswered: {nulls}, gap between samples: "
      f"median {statistics.median(gaps) if gaps else '-'} ms, longest {max(gaps) if gaps else '-'} ms")
for key, values in figures.items():
    print(f"  {key}: median {statistics.median(values):.2f}, max {max(values):.2f}")

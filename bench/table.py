# Summarises the JSON files of bench/compare.sh runs as the Markdown table of docs/benchmarks.md.
#   python3 bench/table.py OUT_DIR
import json, glob, os, sys
d = sys.argv[1] if len(sys.argv) > 1 else 'bench-results'
rows = []
known = ['fanout10k','fanout50k','fanout100k','bigroom100k','bigroom500k']
others = sorted({os.path.basename(f).rsplit('-', 1)[0] for f in glob.glob(f'{d}/*.json')} - set(known))
for name in known + [n for n in others if not n.startswith(('connect', 'slow'))]:
    for srv in ['chorus','netty','node']:
        f = f'{d}/{name}-{srv}.json'
        if not os.path.exists(f): continue
        j = json.load(open(f)); m = j['phases']['measured']; h = m['healthy']; l = h['latency_us']
        rows.append(f"| {name} | {srv} | {m['publishes_per_s']:.0f} | {h['deliveries_per_s']:.0f} | {h['delivery_ratio']:.4f} | {l['p50']/1000:.1f} | {l['p99']/1000:.1f} | {l['p999']/1000:.1f} | {l['max']/1000:.1f} | {j['publish_skipped']} |")
print("| run | server | publishes/s | deliveries/s | delivered | p50 ms | p99 ms | p99.9 ms | max ms | publishes skipped |")
print("|---|---|---|---|---|---|---|---|---|---|")
print("\n".join(rows))
for srv in ['chorus','netty','node']:
    f = f'{d}/connect15k-{srv}.json'
    if os.path.exists(f):
        j = json.load(open(f)); print(srv, json.dumps({k: j[k] for k in j if k not in ('parameters',)})[:1500])

# Used by bench/presence-joins.sh: waits until the node has admitted every join, then counts the
# presence entries listed by GET /api/presence over the 150 rooms until all are there (or 30 s).
import json, time, urllib.request, os
def metric(name):
    try:
        for line in urllib.request.urlopen("http://127.0.0.1:7700/metrics", timeout=5).read().decode().splitlines():
            if line.startswith(name + " "): return float(line.split()[1])
    except Exception: return -1
    return -1
def presence(i):
    req = urllib.request.Request(f"http://127.0.0.1:7700/api/presence/room:r{i}?count=true", headers={"Authorization": "Bearer k"})
    try: return json.load(urllib.request.urlopen(req, timeout=5))["connections"]
    except Exception: return 0
t0 = time.time()
while metric("chorus_joins_total") < 15000 and time.time() - t0 < 90: time.sleep(0.2)
t1 = time.time()
print(f"all 15000 joins admitted {t1-t0:.1f} s after the checker started")
if os.environ.get("PRESENCE", "on") == "on":
    while True:
        total = sum(presence(i) for i in range(150))
        if total == 15000 or time.time() - t1 > 30: break
        time.sleep(0.5)
    print(f"presence entries listed over the 150 rooms: {total} of 15000, {time.time()-t1:.1f} s after the last join was admitted")
    print(f"replica entries: {metric('chorus_presence_entries'):.0f}, diffs sent to rooms: {metric('chorus_presence_diffs_total'):.0f}")
print("connections:", metric("chorus_connections"), "slow closes:", metric("chorus_slow_consumer_closes_total"), "refused joins:", metric("chorus_joins_refused_total"))

#!/usr/bin/env bash
# Presence join throughput on one node: Chorus (presence on in `room`) pinned to core 0, the
# load generator to core 1; 15 000 connections join 150 rooms of 100 at the offered rate. Then
# bench/presence_check.py counts, through GET /api/presence, that every join is listed.
#   bench/presence-joins.sh RATE_PER_S [on|off]      (off: the same run without presence)
# Needs: target/chorus.jar (mvn -B package -DskipTests). Ports 4300, 7700, 25600.
set -euo pipefail
rate=${1:?rate per second, e.g. 1000}
presence=${2:-on}
out=${CHORUS_BENCH_OUT:-bench-results}
mkdir -p "$out"
taskset -c 0 java -Xms1g -Xmx1g -XX:+UseParallelGC -Xmn128m -XX:-UseAdaptiveSizePolicy -XX:MaxTenuringThreshold=1 \
  -Dchorus.namespaces.room.presence="$presence" \
  -jar target/chorus.jar --port 4300 --cluster-port 25600 --management-port 7700 --api-key k --admin-key k \
  > "$out/presence-$rate-$presence-server.log" 2>&1 &
server=$!
# A benchmark server is killed outright at the end (no 30 s drain), so the next run can bind.
trap 'kill -9 $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:7700/ready && break; sleep 0.2; done
PRESENCE=$presence python3 bench/presence_check.py > "$out/presence-$rate-$presence-check.txt" 2>&1 &
checker=$!
taskset -c 1 java -jar target/chorus.jar bench connect --connections 15000 --rate "$rate/s" --rooms 150 --duration 45s \
  --url ws://127.0.0.1:4300/socket/websocket --json "$out/presence-$rate-$presence.json" > "$out/presence-$rate-$presence.txt" 2>&1
wait $checker
grep -E "achieved|joined_rate|connect_join_latency|failed|pending" "$out/presence-$rate-$presence.txt"
cat "$out/presence-$rate-$presence-check.txt"

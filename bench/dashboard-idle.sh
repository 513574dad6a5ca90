#!/usr/bin/env bash
# What the operators' dashboard costs a node that does nothing else: the node's CPU over a
# quiet minute without a dashboard, then with N dashboards watching the live charts (each signed
# in and holding /dashboard/admin/stream open, which asks the node for its sample every second).
#   bench/dashboard-idle.sh [N=16] [SECONDS=60]
# Needs target/chorus.jar (mvn -B package -DskipTests). Server on core 0, curl on core 1.
set -euo pipefail
n=${1:-16}; secs=${2:-60}
log=$(mktemp)
taskset -c 0 java -Xms512m -Xmx512m -XX:+UseParallelGC -jar target/chorus.jar --port 4010 --cluster-port 25540 \
  --management-port 7640 > "$log" 2>&1 &
node=$!
trap 'kill $node 2>/dev/null; kill $(jobs -p) 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 300); do (exec 3<>/dev/tcp/127.0.0.1/7640) 2>/dev/null && break; sleep 0.1; done
ticks() { awk '{print $14 + $15}' "/proc/$node/stat"; }   # utime + stime, in clock ticks
hz=$(getconf CLK_TCK)
cpu_over() { local a b; a=$(ticks); sleep "$secs"; b=$(ticks); echo "scale=2; ($b - $a) * 1000 / $hz / $secs" | bc; }
sleep 20 # start-up work (JIT, cluster forming) out of the way
echo "no dashboard:       $(cpu_over) ms of CPU per second"
key=$(grep -o 'sign in with the key [^ ]*' "$log" | awk '{print $6}')
cookie=$(curl -s -o /dev/null -D - --data-urlencode "key=$key" http://127.0.0.1:7640/dashboard/login | grep -io 'chorus_dashboard=[^;]*')
for _ in $(seq 1 "$n"); do
  taskset -c 1 curl -sN -H "Cookie: $cookie" http://127.0.0.1:7640/dashboard/admin/stream > /dev/null &
done
sleep 5
echo "$n dashboards:      $(cpu_over) ms of CPU per second"

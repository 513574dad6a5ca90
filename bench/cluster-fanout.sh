#!/usr/bin/env bash
# Routed fan-out across a cluster against the same load on one node: three Chorus nodes on this
# machine (deploy/local/cluster.sh, all pinned to core 0, so that together they have the one core
# a single node gets), the load generator on core 1, clients spread over the nodes (client i on
# node i mod 3; rooms whose number is not a multiple of 3 have members on every node). Reports,
# for each setup, the bench's figures (CPU per delivery summed over the nodes) and, for the
# cluster, the bytes Chorus put on the cluster link per publish (chorus_cross_node_bytes_total).
#   bench/cluster-fanout.sh OUT_DIR NAME -- <fanout arguments without --url/--json/--server-pid>
# Needs: target/chorus.jar (mvn -B package -DskipTests). Ports: 4000-4002, 7626-7628, 25520-25522
# (the cluster), 4010/7636/25530 (the single node).
set -euo pipefail
out=$1; name=$2; shift 3
mkdir -p "$out"
jar=target/chorus.jar
heap=${CHORUS_BENCH_HEAP:-1g}
run_dir=$(mktemp -d)
opts="-Xms$heap -Xmx$heap -XX:+UseParallelGC -Xmn128m -XX:-UseAdaptiveSizePolicy -XX:MaxTenuringThreshold=1 -Dchorus.namespaces.room.presence=off"

metric() { # port name -> value of the first sample of that metric
  curl -s "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m {print $2; exit}'
}

# The cluster.
CHORUS_RUN_DIR=$run_dir CHORUS_PROFILE=dev JAVA_OPTS="$opts" taskset -c 0 deploy/local/cluster.sh 3 > "$out/$name-cluster-start.log" 2>&1
pids=$(cat "$run_dir"/node-*.pid | paste -sd, -)
trap 'for p in ${pids//,/ }; do kill -9 $p 2>/dev/null || true; done; rm -rf "$run_dir"' EXIT
urls="ws://127.0.0.1:4000/socket/websocket,ws://127.0.0.1:4001/socket/websocket,ws://127.0.0.1:4002/socket/websocket"
taskset -c 1 java -Xmx2g -jar "$jar" bench "$@" --url "$urls" --server-pid "$pids" --json "$out/$name-cluster.json" > "$out/$name-cluster.txt" 2>&1 || true
bytes=0; delivers=0
for port in 7626 7627 7628; do
  bytes=$(python3 -c "print($bytes + float('$(metric $port chorus_cross_node_bytes_total)' or 0))")
  delivers=$(python3 -c "print($delivers + float('$(metric $port chorus_cross_node_deliveries_total)' or 0))")
done
publishes=$(python3 -c "import json; p=json.load(open('$out/$name-cluster.json'))['phases']; print(p['warmup']['publishes'] + p['measured']['publishes'])" 2>/dev/null || echo 0)
for p in ${pids//,/ }; do kill -9 "$p" 2>/dev/null || true; done
echo "cluster link: $bytes bytes, $delivers cross-node deliveries, $publishes publishes" > "$out/$name-cluster-link.txt"
python3 -c "p=$publishes; print('per publish: %.0f bytes, %.2f cross-node deliveries' % ($bytes / p, $delivers / p) if p else 'no publishes counted')" >> "$out/$name-cluster-link.txt"

# One node, the same load.
taskset -c 0 java $opts -jar "$jar" --port 4010 --cluster-port 25530 --management-port 7636 > "$out/$name-single-server.log" 2>&1 &
single=$!
trap 'kill -9 $single 2>/dev/null || true; rm -rf "$run_dir"' EXIT
for _ in $(seq 150); do curl -s -o /dev/null http://127.0.0.1:7636/ready && break; sleep 0.2; done
taskset -c 1 java -Xmx2g -jar "$jar" bench "$@" --url ws://127.0.0.1:4010/socket/websocket --server-pid "$single" \
  --json "$out/$name-single.json" > "$out/$name-single.txt" 2>&1 || true

for setup in cluster single; do
  echo "== $setup"
  grep -hE "deliveries/s|p99|ratio|cpu_us_per_delivery" "$out/$name-$setup.txt" | head -12 || true
done
cat "$out/$name-cluster-link.txt"

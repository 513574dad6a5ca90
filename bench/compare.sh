#!/usr/bin/env bash
# Runs one bench scenario against Chorus, the raw Netty baseline and the Node `ws` baseline, one
# after the other in the same run, each server pinned to core 0 and the load generator to core 1.
#   bench/compare.sh OUT_DIR NAME -- <bench arguments without --url/--json/--server-pid>
# CHORUS_BENCH_OPTS adds JVM options to the Chorus server (e.g. -Dchorus.connection.outbound-max-bytes=256k);
# CHORUS_BENCH_GC replaces the collector flags (default: the recommended ones of docs/capacity.md);
# CHORUS_BENCH_JAVA the
# server's java binary (e.g. /usr/lib/jvm/temurin-25-jdk-amd64/bin/java); heap, collector and java
# apply to the Netty baseline too.
# CHORUS_BENCH_DASHBOARDS=N: N operators' dashboards watch Chorus's live charts meanwhile (each
# signed in, holding the SSE stream /dashboard/admin/stream open; curl on the load generator's core).
# CHORUS_BENCH_SKIP_NETTY=1 skips the Netty baseline (bench/netty-baseline, compiled against the
# jar, whose Netty classes it uses), CHORUS_BENCH_SKIP_NODE=1 the Node one. Presence is off in Chorus's `room`
# namespace here, as the baselines have none; CHORUS_BENCH_PRESENCE=on keeps it (the presence benchmarks do).
# Needs: target/chorus.jar (mvn -B package -DskipTests) and `npm ci` in bench/node-baseline.
set -euo pipefail
out=$1; name=$2; shift 3
mkdir -p "$out"
jar=target/chorus.jar
# CHORUS_BENCH_SERVER_JAR runs another build of the server (e.g. an older one) under the same load generator
server_jar=${CHORUS_BENCH_SERVER_JAR:-$jar}
heap=${CHORUS_BENCH_HEAP:-2g}
gc=${CHORUS_BENCH_GC:--XX:+UseParallelGC -Xmn128m -XX:-UseAdaptiveSizePolicy -XX:MaxTenuringThreshold=1}
ran=()

wait_port() { for _ in $(seq 1 300); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; return 1; }

run() { # server-name server-pid port bench-args...
  local server=$1 pid=$2 port=$3; shift 3
  local extra=()
  # every scenario reports the server's memory (connect) or CPU per delivery and RSS (fanout, bigroom)
  extra=(--server-pid "$pid")
  taskset -c 1 java -Xmx2g -jar "$jar" bench "$@" --url "ws://127.0.0.1:$port/socket/websocket" \
    "${extra[@]}" --json "$out/$name-$server.json" > "$out/$name-$server.txt" 2>&1 &
  local bench=$!
  # CHORUS_BENCH_JFR="DELAY DURATION": a JFR recording of a JVM server (Chorus, the Netty
  # baseline) from DELAY seconds after the bench starts, for DURATION seconds (place it in the
  # measured phase); bench/jfr_summary.py reads it (allocation, GC pauses).
  if [ -n "${CHORUS_BENCH_JFR:-}" ] && [ "$server" != node ]; then
    read -r delay duration <<< "$CHORUS_BENCH_JFR"
    (sleep "$delay" && jcmd "$pid" JFR.start settings=profile duration="${duration}s" \
      filename="$(cd "$out" && pwd)/$name-$server.jfr" > /dev/null) &
  fi
  wait "$bench" || true
  ran+=("$server")
}

# Chorus: fixed heap and ParallelGC (perf-notes: G1 and a growing heap cost capacity on one core)
# shellcheck disable=SC2086 # CHORUS_BENCH_GC/OPTS hold several JVM options, e.g. -Dchorus.connection.outbound-max-bytes=256k
taskset -c 0 "${CHORUS_BENCH_JAVA:-java}" -Xms$heap -Xmx$heap $gc -Dchorus.namespaces.room.presence=${CHORUS_BENCH_PRESENCE:-off} ${CHORUS_BENCH_OPTS:-} -jar "$server_jar" --port 4000 --cluster-port 25530 \
  --management-port 7630 > "$out/$name-chorus-server.log" 2>&1 &
chorus=$!
wait_port 4000
watchers=()
if [ "${CHORUS_BENCH_DASHBOARDS:-0}" -gt 0 ]; then
  wait_port 7630
  cookie=$(curl -s -o /dev/null -D - --data-urlencode "key=$(grep -o 'sign in with the key [^ ]*' "$out/$name-chorus-server.log" | awk '{print $6}')" \
    http://127.0.0.1:7630/dashboard/login | grep -io 'chorus_dashboard=[^;]*')
  for i in $(seq 1 "$CHORUS_BENCH_DASHBOARDS"); do
    # the first one's events are kept: did the samples keep coming, every second, under the load?
    sse=/dev/null; [ "$i" = 1 ] && sse="$out/$name-dashboard.sse"
    taskset -c 1 curl -sN -H "Cookie: $cookie" http://127.0.0.1:7630/dashboard/admin/stream > "$sse" &
    watchers+=($!)
  done
fi
run chorus "$chorus" 4000 "$@"
for w in "${watchers[@]}"; do kill "$w" 2>/dev/null || true; done
kill "$chorus"; wait "$chorus" 2>/dev/null || true

# The Netty baseline: the practical limit of this machine (2 IO threads, as Chorus's default).
# Compiled first: run as a source file, javac would run (and fill metaspace: a full GC) in the
# measured JVM.
if [ "${CHORUS_BENCH_SKIP_NETTY:-}" != 1 ]; then
  javac --release 17 -cp "$jar" -d target/netty-baseline bench/netty-baseline/NettyBaseline.java
  # shellcheck disable=SC2086 # $gc holds several JVM options
  PORT=4002 taskset -c 0 "${CHORUS_BENCH_JAVA:-java}" -Xms$heap -Xmx$heap $gc -cp "$jar:target/netty-baseline" \
    NettyBaseline > "$out/$name-netty-server.log" 2>&1 &
  netty=$!
  wait_port 4002
  run netty "$netty" 4002 "$@"
  kill "$netty"; wait "$netty" 2>/dev/null || true
fi

if [ "${CHORUS_BENCH_SKIP_NODE:-}" != 1 ]; then
  (cd bench/node-baseline && PORT=4001 exec taskset -c 0 node server.js) > "$out/$name-node-server.log" 2>&1 &
  node=$!
  wait_port 4001
  run node "$node" 4001 "$@"
  kill "$node"; wait "$node" 2>/dev/null || true
fi

for server in "${ran[@]}"; do
  echo "== $server"
  grep -hE "deliveries/s|p99|ratio|per connection|per_connection|rate|rss_|closed_by_server|ended_after_stop" "$out/$name-$server.txt" | head -30 || true
done

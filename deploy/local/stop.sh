#!/usr/bin/env bash
# Stops the nodes that deploy/local/cluster.sh started.
#
#   deploy/local/stop.sh          SIGTERM: each node drains (closes its WebSockets with 1012
#                                 over chorus.drain.window), leaves the cluster and exits
#   deploy/local/stop.sh --now    SIGKILL at once: no drain, the others see the nodes crash
#
# Environment:
#   CHORUS_RUN_DIR        where cluster.sh put the pid files (default run/local-cluster here)
#   CHORUS_STOP_TIMEOUT   seconds to wait for the nodes after SIGTERM before SIGKILL
#                         (default 60: the default 30 s drain window, leaving the cluster
#                         (up to 10 s more for the last node) and a margin)
set -euo pipefail

die() {
  echo "stop.sh: $*" >&2
  exit 1
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
run_dir="${CHORUS_RUN_DIR:-$root/run/local-cluster}"
timeout="${CHORUS_STOP_TIMEOUT:-60}"
[[ $timeout =~ ^[0-9]+$ ]] || die "CHORUS_STOP_TIMEOUT must be a number of seconds, got '$timeout'"

now=false
case ${1:-} in
  "") ;;
  --now) now=true ;;
  -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown argument '$1' (--now or nothing)" ;;
esac

[[ -d $run_dir ]] || die "no run folder $run_dir: nothing to stop (set CHORUS_RUN_DIR?)"

# Whether pid is a running Chorus JVM (not a process that reused the number since).
is_chorus() {
  local args
  kill -0 "$1" 2>/dev/null || return 1
  args="$(ps -o args= -p "$1" 2>/dev/null)" || return 1
  [[ $args == *java* && $args == *chorus* ]]
}

names=()
pids=()
for pid_file in "$run_dir"/node-*.pid; do
  [[ -e $pid_file ]] || continue
  name="$(basename "$pid_file" .pid)"
  pid="$(cat "$pid_file")"
  if [[ $pid =~ ^[0-9]+$ ]] && is_chorus "$pid"; then
    names+=("$name")
    pids+=("$pid")
  else
    echo "$name: not running (pid ${pid:-?}); removing its pid file"
    rm -f "$pid_file"
  fi
done

if ((${#pids[@]} == 0)); then
  echo "no running nodes in $run_dir"
  exit 0
fi

if $now; then
  for i in "${!pids[@]}"; do
    kill -KILL "${pids[i]}" 2>/dev/null || true
    echo "${names[i]}: killed (pid ${pids[i]}, SIGKILL)"
    rm -f "$run_dir/${names[i]}.pid"
  done
  exit 0
fi

echo "sending SIGTERM to ${#pids[@]} node(s); waiting up to ${timeout}s for them to drain and leave ..."
for pid in "${pids[@]}"; do
  kill -TERM "$pid" 2>/dev/null || true
done

start=$SECONDS
declare -A done_after=()
while ((${#done_after[@]} < ${#pids[@]} && SECONDS - start < timeout)); do
  sleep 1
  for i in "${!pids[@]}"; do
    [[ -z ${done_after[$i]:-} ]] || continue
    kill -0 "${pids[i]}" 2>/dev/null || done_after[$i]=$((SECONDS - start))
  done
done

killed=0
for i in "${!pids[@]}"; do
  if [[ -n ${done_after[$i]:-} ]]; then
    echo "${names[i]}: stopped (pid ${pids[i]}) after ${done_after[$i]}s"
  else
    kill -KILL "${pids[i]}" 2>/dev/null || true
    echo "${names[i]}: still running after ${timeout}s; killed (pid ${pids[i]}, SIGKILL)"
    killed=$((killed + 1))
  fi
  rm -f "$run_dir/${names[i]}.pid"
done
echo "logs stay in $run_dir"
((killed == 0))

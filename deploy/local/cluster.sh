#!/usr/bin/env bash
# Starts a Chorus cluster of N nodes on this machine (loopback only), in the background.
#
#   deploy/local/cluster.sh [N] [-- FLAG...]      N defaults to 3; FLAGs go to every node,
#                                                  e.g. -- --config my.conf
#   deploy/local/stop.sh                           drains and stops them again
#
# Node i (1..N) listens on
#   WebSocket/HTTP  127.0.0.1:$((CHORUS_WS_PORT_BASE + i - 1))          (default 4000, 4001, ...)
#   management      127.0.0.1:$((CHORUS_MANAGEMENT_PORT_BASE + i - 1))  (default 7626, 7627, ...)
#   cluster         127.0.0.1:$((CHORUS_CLUSTER_PORT_BASE + i - 1))     (default 25520, 25521, ...)
# Nodes 1 and 2 are the seed nodes of every node, so a restarted node 1 rejoins through node 2.
#
# Environment:
#   CHORUS_JAR                   the fat jar (default target/chorus.jar of this repository)
#   CHORUS_RUN_DIR               logs, pid files, admin key (default run/local-cluster here)
#   CHORUS_WS_PORT_BASE, CHORUS_MANAGEMENT_PORT_BASE, CHORUS_CLUSTER_PORT_BASE   see above
#   CHORUS_PROFILE               prod (default: tokens required) or dev (anonymous clients allowed)
#   CHORUS_AUTH_SECRET           HS256 secret of connection tokens; unset: one is generated and
#                                saved as $CHORUS_RUN_DIR/auth-secret
#   CHORUS_ADMIN_KEY             admin API key of every node; unset: one is generated and
#                                saved as $CHORUS_RUN_DIR/admin-key
#   JAVA_OPTS                    JVM options of every node (default: a laptop-sized heap)
#   JAVA_HOME                    the java to run (default: java on PATH)
#   CHORUS_WAIT_SECONDS          how long to wait for the nodes to answer (default 90; 0: don't)
#   CHORUS_CLUSTER_TLS           1: the nodes talk over TLS 1.3 with mutual authentication
#                                (deploy/tls/artery-tls.conf); the first time, a private CA and a
#                                key store per node are made in $CHORUS_RUN_DIR/tls with keytool
#                                (deploy/tls/make-certs.sh), later runs reuse them. A --config
#                                given after -- still applies, over the TLS settings.
#                                Unset or 0: plaintext, as before.
set -euo pipefail

usage() {
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
}

die() {
  echo "cluster.sh: $*" >&2
  exit 1
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

nodes=3
if [[ $# -gt 0 && $1 != -- ]]; then
  case $1 in
    -h | --help) usage; exit 0 ;;
    *[!0-9]* | '') die "N must be a number of nodes, got '$1' (see --help)" ;;
  esac
  nodes=$1
  shift
fi
if [[ $# -gt 0 ]]; then
  [[ $1 == -- ]] || die "unexpected argument '$1' (flags for the nodes go after --)"
  shift
fi
extra_flags=("$@")
((nodes >= 1 && nodes <= 20)) || die "N must be between 1 and 20, got $nodes"

jar="${CHORUS_JAR:-$root/target/chorus.jar}"
run_dir="${CHORUS_RUN_DIR:-$root/run/local-cluster}"
ws_base="${CHORUS_WS_PORT_BASE:-4000}"
management_base="${CHORUS_MANAGEMENT_PORT_BASE:-7626}"
cluster_base="${CHORUS_CLUSTER_PORT_BASE:-25520}"
wait_seconds="${CHORUS_WAIT_SECONDS:-90}"
host=127.0.0.1
for v in "$ws_base" "$management_base" "$cluster_base" "$wait_seconds"; do
  [[ $v =~ ^[0-9]+$ ]] || die "port bases and CHORUS_WAIT_SECONDS must be numbers, got '$v'"
done

if [[ -n ${JAVA_HOME:-} ]]; then
  java="$JAVA_HOME/bin/java"
else
  java="$(command -v java || true)"
fi
[[ -n $java && -x $java ]] || die "no java found: install Java 17+ or set JAVA_HOME"

case ${CHORUS_CLUSTER_TLS:-0} in
  1) tls=1 ;;
  0 | "") tls=0 ;;
  *) die "CHORUS_CLUSTER_TLS must be 1 (TLS between the nodes) or 0 (plaintext), got '$CHORUS_CLUSTER_TLS'" ;;
esac

if [[ ! -f $jar ]]; then
  die "$jar is missing: build it first with
  (cd '$root' && mvn -B -q package -DskipTests)"
fi

# Fixed small heap and ParallelGC, as docs/capacity.md advises, sized for a laptop running
# several nodes; override with JAVA_OPTS.
read -r -a java_opts <<<"${JAVA_OPTS:--Xms256m -Xmx512m -XX:+UseParallelGC -Xmn128m -XX:-UseAdaptiveSizePolicy -XX:MaxTenuringThreshold=1}"

mkdir -p "$run_dir"

# Refuse to start over a running cluster; forget pid files of nodes that are gone.
running=()
for pid_file in "$run_dir"/node-*.pid; do
  [[ -e $pid_file ]] || continue
  pid="$(cat "$pid_file")"
  if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
    running+=("$(basename "$pid_file" .pid) (pid $pid)")
  else
    echo "removing stale $pid_file (pid $pid is not running)"
    rm -f "$pid_file"
  fi
done
if ((${#running[@]} > 0)); then
  die "a cluster is already running from $run_dir: ${running[*]}
  stop it first: $root/deploy/local/stop.sh   (CHORUS_RUN_DIR=$run_dir)"
fi

port_in_use() {
  (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null
}
for ((i = 1; i <= nodes; i++)); do
  for port in $((ws_base + i - 1)) $((management_base + i - 1)) $((cluster_base + i - 1)); do
    if port_in_use "$port"; then
      die "port $port on $host is already in use (node $i); set CHORUS_WS_PORT_BASE,
  CHORUS_MANAGEMENT_PORT_BASE or CHORUS_CLUSTER_PORT_BASE to other ports"
    fi
  done
done

if [[ -n ${CHORUS_ADMIN_KEY:-} ]]; then
  admin_key="$CHORUS_ADMIN_KEY"
  admin_key_note="from CHORUS_ADMIN_KEY"
else
  admin_key="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
  (umask 077 && printf '%s\n' "$admin_key" >"$run_dir/admin-key")
  admin_key_note="generated, saved in $run_dir/admin-key"
fi

# Profile prod, as everywhere in deploy/: connections need a token signed with this secret
# (CHORUS_PROFILE=dev lets anonymous clients in instead, like the README's single node).
profile="${CHORUS_PROFILE:-prod}"
if [[ -n ${CHORUS_AUTH_SECRET:-} ]]; then
  auth_secret="$CHORUS_AUTH_SECRET"
else
  auth_secret="$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
  (umask 077 && printf '%s\n' "$auth_secret" >"$run_dir/auth-secret")
fi

# The cluster link over mutual TLS: certificates made once (make-certs.sh keeps what exists and
# adds key stores for new nodes), and a configuration that includes deploy/tls/artery-tls.conf and
# then the --config given after --, if any (a node takes one --config).
if ((tls)); then
  tls_dir="$run_dir/tls"
  keytool_beside_java="$(dirname "$(readlink -f "$java")")/keytool"
  if [[ -z ${KEYTOOL:-} && -x $keytool_beside_java ]]; then
    export KEYTOOL="$keytool_beside_java"
  fi
  "$root/deploy/tls/make-certs.sh" "$tls_dir" "$nodes" | sed 's/^/  /' ||
    die "could not make the certificates in $tls_dir (deploy/tls/make-certs.sh)"
  user_config=""
  flags=()
  for ((k = 0; k < ${#extra_flags[@]}; k++)); do
    case ${extra_flags[k]} in
      --config)
        ((k + 1 < ${#extra_flags[@]})) || die "--config needs a file"
        k=$((k + 1))
        user_config=${extra_flags[k]}
        ;;
      --config=*) user_config=${extra_flags[k]#--config=} ;;
      *) flags+=("${extra_flags[k]}") ;;
    esac
  done
  includes=("$root/deploy/tls/artery-tls.conf")
  if [[ -n $user_config ]]; then
    [[ -f $user_config ]] || die "--config $user_config: no such file"
    includes+=("$(cd "$(dirname "$user_config")" && pwd)/$(basename "$user_config")")
  fi
  tls_conf="$tls_dir/cluster.conf"
  {
    echo "# Written by deploy/local/cluster.sh (CHORUS_CLUSTER_TLS=1) at every start."
    for file in "${includes[@]}"; do
      [[ $file != *[\"\\]* ]] || die "a path with a quote or a backslash cannot be included: $file"
      echo "include required(file(\"$file\"))"
    done
  } >"$tls_conf"
  extra_flags=(${flags[@]+"${flags[@]}"} --config "$tls_conf")
  # deploy/tls/artery-tls.conf reads these; each node's key store is set below.
  CHORUS_CLUSTER_TLS_KEY_STORE_PASSWORD="$(head -n 1 "$tls_dir/key-store-password")"
  CHORUS_CLUSTER_TLS_TRUST_STORE="$tls_dir/truststore.p12"
  CHORUS_CLUSTER_TLS_TRUST_STORE_PASSWORD="$(head -n 1 "$tls_dir/trust-store-password")"
  export CHORUS_CLUSTER_TLS_KEY_STORE_PASSWORD CHORUS_CLUSTER_TLS_TRUST_STORE CHORUS_CLUSTER_TLS_TRUST_STORE_PASSWORD
  unset CHORUS_CLUSTER_TLS_KEY_PASSWORD
fi

seeds="pekko://chorus@$host:$cluster_base"
if ((nodes >= 2)); then
  seeds="$seeds,pekko://chorus@$host:$((cluster_base + 1))"
fi

echo "starting $nodes Chorus node(s) from $jar"
echo "  JVM options: ${java_opts[*]}"
echo "  seed nodes:  $seeds"
if ((tls)); then
  echo "  cluster link: TLS 1.3, mutual authentication; CA, key stores, passwords in $tls_dir"
fi
for ((i = 1; i <= nodes; i++)); do
  log="$run_dir/node-$i.log"
  if ((tls)); then
    export CHORUS_CLUSTER_TLS_KEY_STORE="$tls_dir/node-$i.p12"
  fi
  # Flags, not environment variables, so that CHORUS_* variables exported in this shell
  # cannot give two nodes the same port.
  CHORUS_ADMIN_KEY="$admin_key" CHORUS_AUTH_SECRET="$auth_secret" CHORUS_PROFILE="$profile" \
    nohup "$java" "${java_opts[@]}" -jar "$jar" serve \
    --host "$host" --port $((ws_base + i - 1)) \
    --cluster-host "$host" --cluster-port $((cluster_base + i - 1)) \
    --management-port $((management_base + i - 1)) \
    --seed-nodes "$seeds" \
    ${extra_flags[@]+"${extra_flags[@]}"} >"$log" 2>&1 </dev/null &
  echo $! >"$run_dir/node-$i.pid"
done

# HTTP status of a GET, "000" when nothing answers.
http_status() {
  curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" 2>/dev/null || true
}

node_pid() {
  cat "$run_dir/node-$1.pid"
}

# How many members node 1's /cluster/members reports Up; "?" when it has no such endpoint,
# "" when it does not answer.
members_up() {
  local body code
  body="$(curl -s -m 2 -w '\n%{http_code}' "http://$host:$management_base/cluster/members" 2>/dev/null)" || return 0
  code="${body##*$'\n'}"
  case $code in
    200) { grep -oE '"status" *: *"Up"' <<<"$body" || true; } | wc -l | tr -d ' ' ;;
    000) ;;
    *) echo "?" ;;
  esac
}

# Nodes the leader has logged as moved to Up (when the log level shows it).
members_up_in_logs() {
  { cat "$run_dir"/node-*.log 2>/dev/null || true; } | { grep -oE 'Leader is moving node \[[^]]+\] to \[Up\]' || true; } |
    sort -u | wc -l | tr -d ' '
}

status=()
if ((wait_seconds > 0)) && command -v curl >/dev/null; then
  echo "waiting up to ${wait_seconds}s for the nodes to answer and join ..."
  deadline=$((SECONDS + wait_seconds))
  for ((i = 1; i <= nodes; i++)); do
    status[i]="no answer"
  done
  up=""
  while :; do
    pending=0
    for ((i = 1; i <= nodes; i++)); do
      [[ ${status[i]} == "no answer" ]] || continue
      if ! kill -0 "$(node_pid "$i")" 2>/dev/null; then
        status[i]="EXITED"
        echo "node $i exited; the end of $run_dir/node-$i.log:" >&2
        tail -n 20 "$run_dir/node-$i.log" >&2 || true
        continue
      fi
      management="http://$host:$((management_base + i - 1))"
      alive="$(http_status "$management/alive")"
      if [[ $alive == 200 ]]; then
        status[i]="alive"
      elif [[ $alive != 000 && "$(http_status "$management/metrics")" == 200 ]]; then
        # A build without /alive: the management server answering is the sign of life.
        status[i]="alive"
      else
        pending=$((pending + 1))
      fi
    done
    up="$(members_up)"
    if ((pending == 0)); then
      # All answer: done once all are Up. Without /cluster/members, the leader's log tells,
      # if the log level shows it; else answering is all there is to wait for.
      if [[ $up == "?" ]]; then
        in_logs="$(members_up_in_logs)"
        ((in_logs == 0 || in_logs >= nodes)) && break
      fi
      [[ -n $up && $up != "?" ]] && ((up >= nodes)) && break
      [[ " ${status[*]} " == *" EXITED "* ]] && break
    fi
    ((SECONDS < deadline)) || break
    sleep 1
  done
  if [[ $up == "?" ]]; then
    in_logs="$(members_up_in_logs)"
    if ((in_logs > 0)); then
      echo "cluster members Up (from the leader's log): $in_logs of $nodes"
    else
      echo "cluster members Up: unknown (this build has no /cluster/members)"
    fi
  else
    echo "cluster members Up: ${up:-none yet} of $nodes"
  fi
fi

printf '\n%-5s %-8s %-10s %-40s %-24s %s\n' node pid state websocket management cluster
for ((i = 1; i <= nodes; i++)); do
  printf '%-5s %-8s %-10s %-40s %-24s %s\n' "$i" "$(node_pid "$i")" "${status[i]:-started}" \
    "ws://$host:$((ws_base + i - 1))/socket/websocket" \
    "http://$host:$((management_base + i - 1))" \
    "pekko://chorus@$host:$((cluster_base + i - 1))"
done
echo
echo "logs and pid files: $run_dir"
if [[ -n ${CHORUS_ADMIN_KEY:-} ]]; then
  echo "admin key: $admin_key_note"
  bearer="\$CHORUS_ADMIN_KEY"
else
  echo "admin key ($admin_key_note):"
  echo "  $admin_key"
  bearer="\$(cat $run_dir/admin-key)"
fi
echo "profile $profile; a connection token (HS256, secret in ${CHORUS_AUTH_SECRET:+CHORUS_AUTH_SECRET}${CHORUS_AUTH_SECRET:-$run_dir/auth-secret}):"
echo "      CHORUS_AUTH_SECRET=\$(cat $run_dir/auth-secret) java -jar $jar token --sub ada"
echo "try:  curl http://$host:$management_base/cluster/members"
echo "      curl -H \"Authorization: Bearer $bearer\" http://$host:$management_base/admin/rooms"
echo "      the dashboard: http://$host:$management_base/dashboard/ (sign in with the admin key)"
stop_hint="$root/deploy/local/stop.sh"
[[ -z ${CHORUS_RUN_DIR:-} ]] || stop_hint="CHORUS_RUN_DIR=$run_dir $stop_hint"
echo "stop: $stop_hint"

failed=0
for ((i = 1; i <= nodes; i++)); do
  case ${status[i]:-started} in
    EXITED) failed=1 ;;
    "no answer") echo "node $i did not answer within ${wait_seconds}s (still running; see $run_dir/node-$i.log)" >&2; failed=1 ;;
  esac
done
exit "$failed"

#!/usr/bin/env bash
# One command: a local Chorus node configured for the example, and the example backend.
#   examples/hooks-node/run.sh        (from the repository, after `mvn -B -q package -DskipTests`)
# Then open http://127.0.0.1:8080/ . Ctrl-C stops both.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
jar="$here/../../target/chorus.jar"
[ -f "$jar" ] || { echo "build the jar first: mvn -B -q package -DskipTests" >&2; exit 1; }
java -jar "$jar" --config "$here/chorus.conf" &
chorus=$!
trap 'kill $chorus 2>/dev/null' EXIT
node "$here/server.mjs"

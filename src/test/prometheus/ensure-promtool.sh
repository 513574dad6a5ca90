#!/bin/sh
# Makes sure promtool is on this machine for GrafanaAndAlertsTest, which runs `promtool check
# rules` and `promtool test rules` on deploy/prometheus. The Maven build runs this before the
# tests with the folder to put it in (target/promtool); -DskipPromtool=true skips it.
#
# promtool on the PATH, in PROMTOOL_PATH or already in that folder: does nothing. Otherwise it
# takes promtool out of Debian's `prometheus` package without installing the package:
# `apt-get download` (no root needed) and `dpkg-deb -x`, keeping only usr/bin/promtool (a Go
# binary that needs only libc). Installing the package would also install, enable and, where
# systemd runs, start a Prometheus server on port 9090, plus a dozen JavaScript packages for
# its web UI: not what a build should do to a machine. apt-get update runs first only when the
# download fails and this may run it (root, or sudo without a password). When promtool cannot
# be had, it says why and exits 0: the build goes on and GrafanaAndAlertsTest fails with
# "no promtool", loudly, instead of the build stopping here for the tests that need none.
set -u

dest=${1:?usage: ensure-promtool.sh <folder>}
for c in "${PROMTOOL_PATH:-}" "$dest/promtool" "$(command -v promtool 2>/dev/null)"; do
  if [ -n "$c" ] && [ -x "$c" ]; then
    echo "ensure-promtool: $c is there"
    exit 0
  fi
done

cannot() {
  echo "ensure-promtool: WARNING: no promtool, and it cannot be fetched here: $1" >&2
  echo "ensure-promtool: GrafanaAndAlertsTest will fail; install Debian's prometheus package, or set PROMTOOL_PATH" >&2
  exit 0
}

command -v apt-get >/dev/null 2>&1 || cannot "no apt-get (not Debian or Ubuntu)"
command -v dpkg-deb >/dev/null 2>&1 || cannot "no dpkg-deb"
start=$(date +%s)
work="$dest/deb"
rm -rf "$work" && mkdir -p "$work" || cannot "cannot make $work"
download() {
  (cd "$work" && apt-get download -q prometheus)
}
echo "ensure-promtool: taking promtool out of Debian's prometheus package (apt-get download)"
if ! download; then
  if [ "$(id -u)" = 0 ]; then
    sudo=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
  else
    cannot "apt-get download failed, and apt-get update needs root or sudo without a password"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q && download || cannot "apt-get download failed (see above)"
fi
dpkg-deb -x "$work"/prometheus_*.deb "$work/x" || cannot "dpkg-deb -x failed"
mv "$work/x/usr/bin/promtool" "$dest/promtool" || cannot "no usr/bin/promtool in the package"
rm -rf "$work"
echo "ensure-promtool: $dest/promtool ($("$dest/promtool" --version 2>&1 | head -1)) in $(( $(date +%s) - start )) s"

#!/bin/sh
# Makes sure a headless Chromium is on this machine for BrowserDemoTest (src/test/js/browser-demo.mjs
# drives it with playwright-core, which downloads no browser of its own). The Maven build runs
# this before the tests (-DskipChromium=true skips it).
#
# Chromium present: does nothing. Otherwise installs Debian's `chromium` package with apt-get,
# as root or through sudo without a password. When it cannot, it says why and exits 0: the
# build goes on and BrowserDemoTest fails with "no Chromium at ...", loudly, instead of the
# build stopping here for the tests that need no browser.
set -u

for c in "${CHROMIUM_PATH:-}" /usr/bin/chromium /usr/bin/chromium-browser /usr/lib/chromium/chromium; do
  if [ -n "$c" ] && [ -x "$c" ]; then
    echo "ensure-chromium: $c is there"
    exit 0
  fi
done

cannot() {
  echo "ensure-chromium: WARNING: no Chromium, and it cannot be installed here: $1" >&2
  echo "ensure-chromium: BrowserDemoTest will fail; install Debian's chromium package, or set CHROMIUM_PATH" >&2
  exit 0
}

command -v apt-get >/dev/null 2>&1 || cannot "no apt-get (not Debian or Ubuntu)"
if [ "$(id -u)" = 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo="sudo -n"
else
  cannot "not root, and no sudo without a password"
fi

echo "ensure-chromium: installing Debian's chromium package (apt-get)"
start=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
if $sudo apt-get update -q && $sudo apt-get install -y -q --no-install-recommends chromium; then
  echo "ensure-chromium: chromium installed in $(( $(date +%s) - start )) s"
else
  cannot "apt-get failed (see above)"
fi

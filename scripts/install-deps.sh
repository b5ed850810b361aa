#!/bin/sh
# Installs the Debian 12 packages silt needs to build, test and fuzz (chromium, nodejs and npm
# for the Explorer's browser test). Idempotent; needs root (or sudo) only when something is
# missing.
set -eu
PKGS="build-essential pkg-config clang libclang-rt-14-dev libjansson-dev libyaml-dev libssl-dev \
libsqlite3-dev libpcre2-dev libmicrohttpd-dev libpq-dev postgresql zlib1g-dev python3 python3-jinja2 python3-yaml python3-jsonschema python3-agate git \
chromium nodejs curl"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	echo "installing:$missing"
	$SUDO apt-get update -q
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi
# npm (for tests/browser's playwright-core): Debian's, unless the nodejs in place brings its own
if ! command -v npm > /dev/null 2>&1; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends npm
fi

#!/bin/sh
# Installs redis-server for `regnotify start --install-redis` (what `npm start` runs), which
# calls this only when the configuration names no Redis, so the embedded one is needed.
#
# Usage: scripts/install-redis.sh [REDIS_SERVER]   (default redis-server: looked up on PATH,
# or an executable file when it contains a '/')
#
# When it is missing, on Debian/Ubuntu as root: says so, then installs the Debian package
# redis-server with apt-get. Anywhere else it does nothing: `regnotify start` then stops with
# the install hint for the platform (apt-get, brew, or redis.url). Exits non-zero only when
# apt-get fails. Everything it and apt-get print goes to stderr (stdout carries the events).
set -u
bin="${1:-redis-server}"
case "$bin" in
  */*) [ -x "$bin" ] && exit 0 ;;
  *) command -v "$bin" >/dev/null 2>&1 && exit 0 ;;
esac
[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || exit 0

echo 'regnotify: redis-server not found; installing it with apt-get (Debian package redis-server)...' >&2
export DEBIAN_FRONTEND=noninteractive
for step in 'update -qq' 'install -y -qq redis-server'; do
  # $step is split into apt-get's arguments on purpose.
  # shellcheck disable=SC2086
  apt-get $step >&2 || {
    status=$?
    echo "regnotify: apt-get $step failed (exit $status)" >&2
    exit 1
  }
done

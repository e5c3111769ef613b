#!/usr/bin/env bash
# Installs the programs the tests drive, when missing: redis-server and redis-cli (every
# integration test starts its own; the chaos tests build Sentinel and Cluster set-ups),
# docker-registry and skopeo (the end-to-end test with the real registry), iptables (the chaos
# tests' network partitions, on 127.0.0.1 only), chromium (the dashboard's browser test,
# driven by playwright-core, which cannot download a browser of its own here), docker-compose
# (only its `config` check of docker-compose.yml runs: no Docker engine is needed; skipped when
# the `docker compose` plugin is there). Sentinel runs as
# `redis-server --sentinel`, so the redis-sentinel package is not needed.
# Debian/Ubuntu packages, via apt-get, as root (or with sudo). A no-op when all are present.
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
{ docker compose version || command -v docker-compose; } >/dev/null 2>&1 || need+=(docker-compose)
[ "${#need[@]}" -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "missing: ${need[*]} — install them with your package manager (Debian: apt-get install -y ${need[*]})" >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
echo "installing with apt-get: ${need[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >&2

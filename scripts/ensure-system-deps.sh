#!/usr/bin/env bash
# Makes sure the system binaries the test suite spawns are installed.
# Runs before every `npm test`, so the all-present path is a few `command -v`
# lookups and prints nothing.
set -euo pipefail

# binary:debian-package
required=(
  redis-server:redis-server
  redis-cli:redis-tools
  prometheus:prometheus
  promtool:prometheus
  prometheus-redis-exporter:prometheus-redis-exporter
  docker-compose:docker-compose
  amtool:prometheus-alertmanager
  chromium:chromium
  openssl:openssl
)

missing_bins=()
missing_pkgs=()
for entry in "${required[@]}"; do
  bin=${entry%%:*}
  pkg=${entry#*:}
  if ! command -v "$bin" >/dev/null 2>&1; then
    missing_bins+=("$bin")
    # Several binaries share a package (prometheus/promtool); install it once.
    if [[ " ${missing_pkgs[*]-} " != *" $pkg "* ]]; then
      missing_pkgs+=("$pkg")
    fi
  fi
done

# PostgreSQL's server binaries are not on PATH: Debian keeps them per version under
# /usr/lib/postgresql/<version>/bin (the test harness starts initdb and pg_ctl from there).
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  missing_bins+=(initdb)
  missing_pkgs+=(postgresql)
fi

if [[ ${#missing_bins[@]} -eq 0 ]]; then
  exit 0
fi

echo "ensure-system-deps: missing ${missing_bins[*]}" >&2

if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-system-deps: install them with: sudo apt-get install -y ${missing_pkgs[*]}" >&2
  exit 1
fi

apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing_pkgs[@]}"

# A package can install under a different name than expected; fail loudly
# here rather than with a confusing spawn ENOENT in the middle of the tests.
still_missing=()
for bin in "${missing_bins[@]}"; do
  if [[ $bin == initdb ]]; then
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || still_missing+=("$bin")
  else
    command -v "$bin" >/dev/null 2>&1 || still_missing+=("$bin")
  fi
done
if [[ ${#still_missing[@]} -gt 0 ]]; then
  echo "ensure-system-deps: still missing after install: ${still_missing[*]}" >&2
  exit 1
fi
echo "ensure-system-deps: installed ${missing_pkgs[*]}" >&2

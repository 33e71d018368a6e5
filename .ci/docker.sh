#!/usr/bin/env bash
# Prepares a fresh Debian 12 CI machine (run as root) for test/image/image.test.ts:
#   1. docker.io + mmdebstrap from apt, if missing;
#   2. a running dockerd (started in the background if `docker info` fails; bounded wait);
#   3. local stand-ins for the Node 24 base images (no container registry is reachable here),
#      built by ../shared/tools/make-standin-bases.sh (needs npm on PATH).
# Idempotent: a second run only checks (well under a second). Prints the time of each step.
# Afterwards .ci/run exports what the image test needs (also printed at the end):
#   export DOCKER_BUILDKIT=0 PLAYERFINDER_BUILD_IMAGE=local/node:24-bookworm-slim PLAYERFINDER_RUNTIME_IMAGE=local/node:24-distroless
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
standins="$(dirname "$repo")/shared/tools/make-standin-bases.sh"
dockerd_log=${DOCKERD_LOG:-/var/log/dockerd.log}

# Runs "$@" and reports its wall time. Called plainly (not under ||/if) so set -e still applies inside.
step() {
  local name=$1 started
  shift
  echo "[docker.sh] ${name}..."
  started=$(date +%s.%N)
  "$@"
  echo "[docker.sh] ${name}: $(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
}

install_packages() {
  local missing=()
  # The machine may ship a docker client alone; the engine is what matters.
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
  if [ ${#missing[@]} -eq 0 ]; then echo "docker and mmdebstrap present"; return; fi
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
}

start_dockerd() {
  if docker info >/dev/null 2>&1; then echo "dockerd answers"; return; fi
  echo "starting dockerd (log: ${dockerd_log})"
  nohup dockerd >"$dockerd_log" 2>&1 &
  local waited=0
  until docker info >/dev/null 2>&1; do
    if [ "$waited" -ge 60 ]; then
      echo "dockerd did not answer within 60 s; last log lines:" >&2
      tail -n 20 "$dockerd_log" >&2 || true
      return 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
}

build_standins() {
  command -v npm >/dev/null || { echo "npm (Node 24) must be on PATH: the stand-ins are made from npm packages" >&2; return 1; }
  [ -f "$standins" ] || { echo "missing ${standins}" >&2; return 1; }
  bash "$standins"
}

step "apt packages" install_packages
step "dockerd" start_dockerd
step "stand-in base images" build_standins
echo "[docker.sh] ready; for the image test:"
echo "export DOCKER_BUILDKIT=0 PLAYERFINDER_BUILD_IMAGE=local/node:24-bookworm-slim PLAYERFINDER_RUNTIME_IMAGE=local/node:24-distroless"

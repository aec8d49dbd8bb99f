#!/usr/bin/env bash
# Prepare a Docker-compatible engine (podman) and the images the container provider uses, so
# CI exercises `--provider container` on machines without Docker and without image pulls.
#
#   bash .ci/container-images.sh > "$ENV_FILE" && source "$ENV_FILE"
#
# stdout: `export` lines (DOCKER_HOST, TESTCONTAINERS_*, HARNESS_*_IMAGE); progress on stderr.
# Steps, each skipped when already done (a second run takes seconds):
#   1. install podman and debootstrap (Debian packages);
#   2. deal with this machine class's two limits: podman's default open-files limit is above
#      the hard limit (containers.conf default_ulimits), and crun refuses a hybrid cgroup v1
#      layout without a `hugetlb` hierarchy (mount one);
#   3. build images locally: a Debian root filesystem from debootstrap with PostgreSQL, Redis
#      and Python, imported with `podman import`, then three thin images on top of it;
#   4. start `podman system service` on a unix socket for testcontainers.
# Users with Docker need none of this: the provider uses the official images by default.
set -euo pipefail
cd "$(dirname "$0")/.."

STATE=${HARNESS_CONTAINER_STATE:-/var/tmp/harness-containers}
SOCKET=$STATE/podman.sock
TAG=${HARNESS_IMAGE_TAG:-ci}
BASE=localhost/harness-debian:$TAG
SUITE=${HARNESS_DEBIAN_SUITE:-bookworm}
MIRROR=${HARNESS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
log() { echo "container-images: $*" >&2; }
started=$SECONDS

if [ "$(id -u)" != "0" ]; then
  log "needs root (podman's rootful service, cgroup mount, debootstrap)"; exit 1
fi
mkdir -p "$STATE"

# 1. packages
if ! command -v podman >/dev/null || ! command -v debootstrap >/dev/null || ! command -v iptables >/dev/null; then
  log "installing podman and debootstrap"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    podman crun netavark aardvark-dns iptables debootstrap uidmap >&2
fi

# 2. limits: a containers.conf of our own, and the hugetlb hierarchy crun looks for
cat > "$STATE/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
EOF
export CONTAINERS_CONF=$STATE/containers.conf
if [ -d /sys/fs/cgroup/memory ] && ! mountpoint -q /sys/fs/cgroup/hugetlb; then
  mkdir -p /sys/fs/cgroup/hugetlb
  mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb
fi

# 3. images
if ! podman image exists "$BASE"; then
  rootfs=$STATE/rootfs
  rm -rf "$rootfs"
  log "debootstrap $SUITE (PostgreSQL, Redis, Python); about 3 minutes"
  debootstrap --variant=minbase --include=postgresql,redis-server,python3 "$SUITE" "$rootfs" "$MIRROR" \
    > "$STATE/debootstrap.log" 2>&1 || { tail -20 "$STATE/debootstrap.log" >&2; exit 1; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc \
    "$rootfs"/usr/share/man "$rootfs"/usr/share/locale
  log "importing the root filesystem as $BASE"
  tar -C "$rootfs" -c . | podman import - "$BASE" >&2
  rm -rf "$rootfs"
fi

context=$STATE/context
rm -rf "$context" && mkdir -p "$context"
cp .ci/images/*-entrypoint "$context"/
# the embedded server is standard library only; it imports itself as readiness_harness.chaos.server
mkdir -p "$context/readiness_harness"
: > "$context/readiness_harness/__init__.py"
cp -r chaos "$context/readiness_harness/chaos"
find "$context/readiness_harness" -name __pycache__ -prune -exec rm -rf {} +
build() {  # build NAME CONTAINERFILE-BODY
  local image=localhost/harness-$1:$TAG
  printf 'FROM %s\n%s\n' "$BASE" "$2" > "$context/Containerfile.$1"
  podman build --quiet --network=none -t "$image" -f "$context/Containerfile.$1" "$context" >&2
  echo "$image"
}
postgres_image=$(build postgres 'COPY postgres-entrypoint /usr/local/bin/
EXPOSE 5432
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint"]')
redis_image=$(build redis 'EXPOSE 6379
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no"]')
toxiproxy_image=$(build toxiproxy 'COPY readiness_harness /opt/harness/readiness_harness
COPY toxiproxy-entrypoint /usr/local/bin/
ENTRYPOINT ["/usr/local/bin/toxiproxy-entrypoint"]
CMD ["-host=0.0.0.0"]')

# 4. the Docker-compatible API
if ! curl -sf --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1; then
  rm -f "$SOCKET"
  log "starting podman system service at $SOCKET"
  CONTAINERS_CONF=$CONTAINERS_CONF setsid nohup podman system service --time=0 "unix://$SOCKET" \
    > "$STATE/service.log" 2>&1 < /dev/null &
  echo $! > "$STATE/service.pid"
  for _ in $(seq 1 100); do
    curl -sf --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -sf --unix-socket "$SOCKET" http://d/_ping >/dev/null || { cat "$STATE/service.log" >&2; exit 1; }
fi
log "ready in $((SECONDS - started)) s"

cat <<EOF
export CONTAINERS_CONF=$CONTAINERS_CONF
export DOCKER_HOST=unix://$SOCKET
export TESTCONTAINERS_RYUK_DISABLED=true
export TESTCONTAINERS_CONNECTION_MODE=docker_host
export HARNESS_POSTGRES_IMAGE=$postgres_image
export HARNESS_REDIS_IMAGE=$redis_image
export HARNESS_TOXIPROXY_IMAGE=$toxiproxy_image
export HARNESS_PODMAN_SERVICE_PID=$(cat "$STATE/service.pid" 2>/dev/null || echo "")
EOF

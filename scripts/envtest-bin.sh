#!/usr/bin/env bash
# Finds or builds the envtest binaries (etcd, kube-apiserver) and prints the folder holding them.
# Idempotent: a cached kube-apiserver is reused; nothing is downloaded but Debian packages.
set -euo pipefail

VERSION=1.20.2
CACHE_DIR=${DBFLEET_CACHE_DIR:-$HOME/.cache/dbfleet-operator}
ASSETS=$CACHE_DIR/envtest-$VERSION
log() { echo "envtest-bin: $*" >&2; }

if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/etcd" ] && [ -x "$KUBEBUILDER_ASSETS/kube-apiserver" ]; then
  echo "$KUBEBUILDER_ASSETS"
  exit 0
fi

mkdir -p "$ASSETS"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

apt_updated=0
apt_install() {
  if [ $apt_updated = 0 ]; then $SUDO apt-get update -qq >&2; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >&2
}

# etcd: Debian's etcd-server; its own service must not run (policy-rc.d stops it from starting).
if [ ! -x /usr/bin/etcd ]; then
  log "installing etcd-server"
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  apt_install etcd-server
  $SUDO rm -f /usr/sbin/policy-rc.d
  $SUDO systemctl disable --now etcd >/dev/null 2>&1 || true
fi
ln -sf /usr/bin/etcd "$ASSETS/etcd"

if [ -x "$ASSETS/kube-apiserver" ] && "$ASSETS/kube-apiserver" --version >/dev/null 2>&1; then
  echo "$ASSETS"
  exit 0
fi

log "building kube-apiserver $VERSION from Debian's kubernetes source package (about 4 minutes on 2 cores)"
if [ ! -f /etc/apt/sources.list.d/dbfleet-deb-src.sources ]; then
  # Mirror the Debian entry (URIs and suites) as deb-src.
  src=/etc/apt/sources.list.d/debian.sources
  awk 'BEGIN{RS=""; ORS="\n\n"} /deb\.debian\.org\/debian\n/ || /URIs: http:\/\/deb\.debian\.org\/debian$/ {sub(/Types: deb/, "Types: deb-src"); print}' "$src" \
    | $SUDO tee /etc/apt/sources.list.d/dbfleet-deb-src.sources >/dev/null
  if ! grep -q deb-src /etc/apt/sources.list.d/dbfleet-deb-src.sources; then
    printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      | $SUDO tee /etc/apt/sources.list.d/dbfleet-deb-src.sources >/dev/null
  fi
  apt_updated=0
fi
apt_install golang-1.19-go rsync golang-github-modern-go-reflect2-dev dpkg-dev

WORK=$CACHE_DIR/build
mkdir -p "$WORK"
cd "$WORK"
find "$WORK" -maxdepth 1 -mindepth 1 -type d -exec rm -rf {} +
if ! ls kubernetes_*.orig.tar.* >/dev/null 2>&1; then
  if [ $apt_updated = 0 ]; then $SUDO apt-get update -qq >&2; apt_updated=1; fi
  # Debian names it 1.20.5+really1.20.2: the 1.20.2 source with security fixes.
  apt-get source --download-only kubernetes >&2
fi
tar xf kubernetes_*.orig.tar.* >&2
SRC=$(find "$WORK" -maxdepth 1 -mindepth 1 -type d -name 'kubernetes*' | head -1)
[ -n "$SRC" ] || { log "source tree not found in $WORK"; exit 1; }

# The vendored reflect2 v1.0.1 crashes under Go >= 1.18; Debian ships v1.0.2.
rm -rf "$SRC/vendor/github.com/modern-go/reflect2"
cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 "$SRC/vendor/github.com/modern-go/reflect2"

mkdir -p "$SRC/.go/src/k8s.io"
ln -sfn ../../.. "$SRC/.go/src/k8s.io/kubernetes"
(
  cd "$SRC/.go/src/k8s.io/kubernetes"
  export GOPATH=$SRC/.go GOCACHE=$CACHE_DIR/gocache CGO_ENABLED=0 PATH=/usr/lib/go-1.19/bin:$PATH
  export KUBE_GIT_VERSION=v$VERSION KUBE_GIT_TREE_STATE=clean
  make WHAT=cmd/kube-apiserver >&2
)
BIN=$(find "$SRC/_output" -type f -name kube-apiserver -perm -u+x | head -1)
[ -n "$BIN" ] || { log "build produced no kube-apiserver"; exit 1; }
cp "$BIN" "$ASSETS/kube-apiserver.tmp"
mv "$ASSETS/kube-apiserver.tmp" "$ASSETS/kube-apiserver"
rm -rf "$WORK"
log "built $ASSETS/kube-apiserver"
echo "$ASSETS"

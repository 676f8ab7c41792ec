#!/usr/bin/env bash
# Builds tools/kube-apiserver (embedded etcd + the upstream kube-apiserver in one binary) into
# .tools/bin/kube-apiserver-test, the real API server of the `realkube` tests.
# Cached: does nothing when the binary is newer than every Go source, go.mod, go.sum and this script.
# Niced (the machine is shared). Needs Go >= 1.26 and the Go module proxy.
# Usage: scripts/build-kube-apiserver.sh [--force]
set -euo pipefail
cd "$(dirname "$0")/.."

src=tools/kube-apiserver
out="${KUBE_APISERVER_TEST_OUT:-$PWD/.tools/bin/kube-apiserver-test}"

if [ "${1:-}" != "--force" ] && [ -x "$out" ]; then
  newer="$(find "$src" "$0" -type f \( -name '*.go' -o -name go.mod -o -name go.sum -o -name "$(basename "$0")" \) -newer "$out" -print -quit)"
  if [ -z "$newer" ]; then
    echo "build-kube-apiserver: $out is up to date"
    exit 0
  fi
fi

if ! command -v go >/dev/null 2>&1; then
  echo "build-kube-apiserver: go not found on PATH" >&2
  exit 1
fi

mkdir -p "$(dirname "$out")"
echo "build-kube-apiserver: building $out ($(go version | awk '{print $3}'); first build takes several minutes)"
start=$(date +%s)
(
  cd "$src"
  # The version the server reports (/version, kubectl version) is stamped at link time, as Kubernetes' own build does;
  # without it the server says v0.0.0-master.
  kv="$(GOFLAGS=-mod=mod go list -m -f '{{.Version}}' k8s.io/kubernetes)"   # e.g. v1.37.2
  major="${kv#v}"; major="${major%%.*}"
  minor="${kv#v*.}"; minor="${minor%%.*}"
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$kv -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.gitCommit=module-$kv -X $pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  done
  # -trimpath and no DWARF (-s -w) keep the binary smaller; linking this binary is the slow, memory-hungry part.
  GOFLAGS=-mod=mod nice -n 19 go build -trimpath -ldflags="$ldflags" -o "$out.tmp" .
)
mv -f "$out.tmp" "$out"
end=$(date +%s)
size=$(du -h "$out" | cut -f1)
echo "build-kube-apiserver: built $out ($size) in $((end - start))s"

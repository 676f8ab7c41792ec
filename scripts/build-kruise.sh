#!/usr/bin/env bash
# Builds OpenKruise's kruise-manager (its CloneSet controller and admission webhooks, unchanged) from the Go module
# proxy into .tools/bin/kruise-manager-<version>, and keeps the module's config/ (CRDs, webhook configurations) beside it
# in .tools/kruise/<version>/config, for the `kruise` test tier (test/kruise) that runs the same scenarios under Kruise
# and under cloneset-rollout on one real kube-apiserver.
# Cached: does nothing when both are present. Niced (the machine is shared). Needs Go >= 1.23 and the Go module proxy.
# Usage: scripts/build-kruise.sh [--version v1.9.1] [--force]
set -euo pipefail
cd "$(dirname "$0")/.."

version="${KRUISE_VERSION:-v1.9.1}"
force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --version) version="$2"; shift 2 ;;
    --force) force=1; shift ;;
    -h|--help) sed -n 2,7p "$0"; exit 0 ;;
    *) echo "build-kruise: unknown argument $1" >&2; exit 2 ;;
  esac
done

tools="$PWD/.tools"
out="$tools/bin/kruise-manager-$version"
config="$tools/kruise/$version/config"

if [ "$force" = 0 ] && [ -x "$out" ] && [ -d "$config/crd/bases" ] && [ -d "$config/webhook" ]; then
  echo "build-kruise: $out is up to date"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "build-kruise: go not found on PATH" >&2
  exit 1
fi

# The module source, from the proxy (verified against the checksum database by `go mod download`). Listing versions is
# refused by the proxy here; a named version downloads.
echo "build-kruise: downloading github.com/openkruise/kruise@$version"
mkdir -p "$tools/kruise"
json="$(cd "$tools/kruise" && GOFLAGS=-mod=mod go mod download -json "github.com/openkruise/kruise@$version")" || {
  echo "build-kruise: download of github.com/openkruise/kruise@$version failed: $json" >&2
  exit 1
}
dir="$(printf '%s' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
[ -d "$dir/config/crd/bases" ] || { echo "build-kruise: no module directory with config/crd/bases in: $json" >&2; exit 1; }

mkdir -p "$(dirname "$out")"
echo "build-kruise: building $out ($(go version | awk '{print $3}'); the first build takes about 7 minutes on 2 cores)"
start=$(date +%s)
# The module cache is read-only: build from it in place (main.go at the module root is kruise-manager, as its
# Dockerfile builds it), with the module's own go.mod and go.sum.
(cd "$dir" && GOFLAGS=-mod=mod nice -n 19 go build -trimpath -ldflags="-s -w" -o "$out.tmp" ./main.go)
mv -f "$out.tmp" "$out"
rm -rf "$config.tmp" && mkdir -p "$(dirname "$config")" && cp -r "$dir/config" "$config.tmp" && chmod -R u+w "$config.tmp"
rm -rf "$config" && mv "$config.tmp" "$config"
end=$(date +%s)
echo "build-kruise: built $out ($(du -h "$out" | cut -f1)) in $((end - start))s; config in $config"

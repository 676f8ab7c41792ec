#!/usr/bin/env bash
# Builds the Helm CLI (helm.sh/helm/v3, unchanged) from the Go module proxy into .tools/bin/helm-<version>, for the
# chart tests (test/unit/chart.test.ts, test/realkube/manifests.test.ts: helm lint, helm template).
# Cached: does nothing when the binary is present. Niced (the machine is shared). Needs Go >= 1.24 and the Go module proxy.
# Usage: scripts/build-helm.sh [--version v3.22.0] [--force]
set -euo pipefail
cd "$(dirname "$0")/.."

version="${HELM_VERSION:-v3.22.0}"
force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --version) version="$2"; shift 2 ;;
    --force) force=1; shift ;;
    -h|--help) sed -n 2,5p "$0"; exit 0 ;;
    *) echo "build-helm: unknown argument $1" >&2; exit 2 ;;
  esac
done

tools="$PWD/.tools"
out="$tools/bin/helm-$version"

if [ "$force" = 0 ] && [ -x "$out" ]; then
  echo "build-helm: $out is up to date"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "build-helm: go not found on PATH" >&2
  exit 1
fi

# The module source, from the proxy (verified against the checksum database by `go mod download`).
echo "build-helm: downloading helm.sh/helm/v3@$version"
mkdir -p "$tools/helm"
json="$(cd "$tools/helm" && GOFLAGS=-mod=mod go mod download -json "helm.sh/helm/v3@$version")" || {
  echo "build-helm: download of helm.sh/helm/v3@$version failed: $json" >&2
  exit 1
}
dir="$(printf '%s' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
[ -d "$dir/cmd/helm" ] || { echo "build-helm: no module directory with cmd/helm in: $json" >&2; exit 1; }

mkdir -p "$(dirname "$out")"
echo "build-helm: building $out ($(go version | awk '{print $3}'); the first build takes a few minutes on 2 cores)"
start=$(date +%s)
# Stamped as Helm's Makefile does, so `helm version` reports the release rather than v3.x-dev.
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$version -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
# The module cache is read-only: build from it in place, with the module's own go.mod and go.sum.
(cd "$dir" && CGO_ENABLED=0 GOFLAGS=-mod=mod nice -n 19 go build -trimpath -ldflags="$ldflags" -o "$out.tmp" ./cmd/helm)
mv -f "$out.tmp" "$out"
end=$(date +%s)
echo "build-helm: built $out ($(du -h "$out" | cut -f1)) in $((end - start))s"

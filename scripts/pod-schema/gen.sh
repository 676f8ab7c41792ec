#!/usr/bin/env bash
# Regenerates src/rollout/pod-schema.ts: the Go JSON layout of core/v1 PodTemplateSpec (field names, types, omitempty)
# read by reflection from k8s.io/api at the version OpenKruise v1.9.1 builds with. Needs Go and the module cache of a
# Kruise build (scripts/build-kruise.sh); no network (GOPROXY=off): the build is done in a temporary module that
# borrows Kruise's go.mod and go.sum.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
kruise=$(cd /tmp && GOFLAGS=-mod=mod go mod download -json github.com/openkruise/kruise@v1.9.1 | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$here/main.go" "$tmp/"
cp "$kruise/go.mod" "$kruise/go.sum" "$tmp/"
chmod u+w "$tmp/go.mod" "$tmp/go.sum"
sed -i 's#^module .*#module podschema#' "$tmp/go.mod"
(cd "$tmp" && GOFLAGS=-mod=mod GOPROXY=off GOSUMDB=off go run .) >"$root/src/rollout/pod-schema.ts"
npx prettier --write "$root/src/rollout/pod-schema.ts" >/dev/null
echo "wrote src/rollout/pod-schema.ts"

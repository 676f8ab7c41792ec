#!/usr/bin/env bash
# Builds the production Temporal topology's binaries from the Go module proxy into .tools/bin, version-suffixed:
#   temporal-server-<v>     go.temporal.io/server/cmd/server        (the Temporal server: frontend, history, matching, worker)
#   temporal-sql-tool-<v>   go.temporal.io/server/cmd/tools/sql     (creates databases, sets up and updates SQL schemas)
#   temporal-ui-server-<u>  github.com/temporalio/ui-server/v2/cmd/server (the Web UI; the module embeds the built UI)
# and keeps the server module's PostgreSQL schema directories beside them in .tools/temporal/<v>/schema/postgresql,
# for scripts/production-topology.sh and the `production` test tier.
# Cached: does nothing when all of them are present. Niced (the machine is shared). Needs Go and the Go module proxy.
# Both modules say `go 1.26.10` in their go.mod: an older local Go has the go command fetch that toolchain (itself a
# module on the proxy, checksum-verified) through GOTOOLCHAIN.
# Usage: scripts/build-temporal-server.sh [--version v1.32.2] [--ui-version v2.58.1] [--force]
set -euo pipefail
cd "$(dirname "$0")/.."

version="${TEMPORAL_SERVER_VERSION:-v1.32.2}"
ui_version="${TEMPORAL_UI_VERSION:-v2.58.1}"
toolchain="${TEMPORAL_GO_TOOLCHAIN:-go1.26.10}"
force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --version) version="$2"; shift 2 ;;
    --ui-version) ui_version="$2"; shift 2 ;;
    --force) force=1; shift ;;
    -h|--help) sed -n 2,11p "$0"; exit 0 ;;
    *) echo "build-temporal-server: unknown argument $1" >&2; exit 2 ;;
  esac
done

tools="$PWD/.tools"
server="$tools/bin/temporal-server-$version"
sqltool="$tools/bin/temporal-sql-tool-$version"
ui="$tools/bin/temporal-ui-server-$ui_version"
schema="$tools/temporal/$version/schema/postgresql"

if [ "$force" = 0 ] && [ -x "$server" ] && [ -x "$sqltool" ] && [ -x "$ui" ] \
  && [ -d "$schema/v12/temporal/versioned" ] && [ -d "$schema/v12/visibility/versioned" ]; then
  echo "build-temporal-server: $server, $sqltool and $ui are up to date"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "build-temporal-server: go not found on PATH" >&2
  exit 1
fi

# Newer than the local Go? Then the go command switches to the toolchain the modules ask for.
local_go="$(go env GOVERSION)"
if [ "$(printf '%s\n%s\n' "$local_go" "$toolchain" | sort -V | head -1)" != "$toolchain" ]; then
  export GOTOOLCHAIN="$toolchain"
fi
export GOFLAGS=-mod=mod

# Throwaway modules of our own, one per binary set, each `go mod init` + `go get` + `go build` (building through a
# module of our own keeps the read-only module cache alone and lets us pin a dependency without a replace directive).
start=$(date +%s)
# get DIR MODULE@VERSION...: a fresh go.mod in DIR requiring them.
get() {
  local dir="$1"; shift
  mkdir -p "$dir"
  (
    cd "$dir"
    rm -f go.mod go.sum
    go mod init "cloneset-rollout.local/$(basename "$dir")" >/dev/null 2>&1
    go get "$@"
  ) || {
    echo "build-temporal-server: could not resolve $* (is the Go module proxy reachable, do these versions exist?)" >&2
    exit 1
  }
}
# build DIR OUT PACKAGE
build() {
  (cd "$1" && nice -n 19 go build -trimpath -ldflags="-s -w" -o "$2.tmp" "$3") || {
    echo "build-temporal-server: go build $3 (in $1) failed" >&2
    exit 1
  }
  mv -f "$2.tmp" "$2"
}
mkdir -p "$tools/bin"
echo "build-temporal-server: building with $(GOTOOLCHAIN="${GOTOOLCHAIN:-local}" go version | awk '{print $3}') (the first build takes about 17 minutes on 2 cores)"

smod="$tools/temporal/build-server"
get "$smod" "go.temporal.io/server@$version"
srcdir="$(cd "$smod" && go list -m -f '{{.Dir}}' go.temporal.io/server)"
[ -d "$srcdir/schema/postgresql/v12/temporal/versioned" ] || {
  echo "build-temporal-server: no schema/postgresql/v12/temporal/versioned in $srcdir" >&2
  exit 1
}
build "$smod" "$server" go.temporal.io/server/cmd/server
build "$smod" "$sqltool" go.temporal.io/server/cmd/tools/sql

# ui-server v2.58.x requires go.temporal.io/api v1.64.0 and github.com/labstack/echo/v4 v4.16.1, whose sources the
# module proxy refuses ("403 Forbidden: This module version is not available"; echo v4.16.2 and v4.16.3 too): require
# the nearest patches of the same minor it serves, v1.64.1 and v4.16.4 (override: TEMPORAL_UI_PINS).
ui_pins="${TEMPORAL_UI_PINS:-go.temporal.io/api@v1.64.1 github.com/labstack/echo/v4@v4.16.4}"
umod="$tools/temporal/build-ui"
# shellcheck disable=SC2086
get "$umod" "github.com/temporalio/ui-server/v2@$ui_version" $ui_pins
build "$umod" "$ui" github.com/temporalio/ui-server/v2/cmd/server

rm -rf "$schema.tmp" && mkdir -p "$(dirname "$schema")" && cp -r "$srcdir/schema/postgresql" "$schema.tmp" \
  && chmod -R u+w "$schema.tmp"
rm -rf "$schema" && mv "$schema.tmp" "$schema"
end=$(date +%s)
echo "build-temporal-server: built $server, $sqltool and $ui in $((end - start))s; schema in $schema"

#!/usr/bin/env bash
# The production topology on this machine, without Docker: a private PostgreSQL 15 cluster, the Temporal server
# (frontend, history, matching and worker services in one process, 4 history shards) on it with SQL visibility, the
# project's search attributes in the `default` namespace, and the Temporal Web UI server — the same versions as
# docker-compose.yml. Every process logs to a file in DIR; every port is on 127.0.0.1, picked free at the first start
# (or given) and kept in DIR/ports.env, so a restart keeps the addresses. Binaries: scripts/build-temporal-server.sh.
#
# Usage: scripts/production-topology.sh COMMAND [--dir DIR] [--frontend-port N] [--ui-port N] [--pg-port N] [--owner-pid P]
#   start             initialise DIR on first use (initdb, databases, schemas, config), start everything, wait for
#                     health, register the namespace and search attributes, write DIR/endpoints.json
#                     (with --owner-pid: a watchdog stops everything once process P is gone, e.g. a killed test run)
#   stop              stop the UI, the Temporal server and PostgreSQL
#   status            print the addresses and which processes run (exit 1 when one is down)
#   stop-temporal | start-temporal | restart-temporal     the Temporal server process alone
#   restart-postgres  pg_ctl restart -m fast (the Temporal server stays up and reconnects)
# DIR defaults to .state/production. As root, PostgreSQL runs as the `postgres` user (it refuses to run as root).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

# The versions this topology runs; docker-compose.yml names the same (test/unit/compose.test.ts compares them).
TEMPORAL_SERVER_VERSION=v1.32.2
TEMPORAL_UI_VERSION=v2.58.1
POSTGRES_MAJOR=15
SEARCH_ATTRIBUTES="CloneSetNamespace CloneSetName RolloutPhase TargetRevision"

cmd="${1:-}"
[ $# -gt 0 ] && shift
dir="$root/.state/production"
want_frontend="" want_ui="" want_pg="" owner=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --frontend-port) want_frontend="$2"; shift 2 ;;
    --ui-port) want_ui="$2"; shift 2 ;;
    --pg-port) want_pg="$2"; shift 2 ;;
    --owner-pid) owner="$2"; shift 2 ;;
    -h|--help) sed -n 2,17p "$0"; exit 0 ;;
    *) echo "production-topology: unknown argument $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

bin="$root/.tools/bin"
server="$bin/temporal-server-$TEMPORAL_SERVER_VERSION"
sqltool="$bin/temporal-sql-tool-$TEMPORAL_SERVER_VERSION"
ui="$bin/temporal-ui-server-$TEMPORAL_UI_VERSION"
schema="$root/.tools/temporal/$TEMPORAL_SERVER_VERSION/schema/postgresql/v12"
cli="${TEMPORAL_CLI:-$bin/temporal}"
[ -x "$cli" ] || cli="$(command -v temporal || true)"
pgbin="/usr/lib/postgresql/$POSTGRES_MAJOR/bin"
pgdata="$dir/pg"
db_user=temporal
db_password=temporal

say() { echo "production-topology: $*"; }
die() { echo "production-topology: $*" >&2; exit 1; }

# PostgreSQL as a non-root user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

need_binaries() {
  for b in "$server" "$sqltool" "$ui"; do
    [ -x "$b" ] || die "$b is missing: run scripts/build-temporal-server.sh"
  done
  [ -d "$schema/temporal/versioned" ] || die "$schema is missing: run scripts/build-temporal-server.sh"
  [ -x "$pgbin/initdb" ] || die "$pgbin/initdb is missing: install PostgreSQL $POSTGRES_MAJOR (apt-get install postgresql-$POSTGRES_MAJOR)"
  [ -n "$cli" ] && [ -x "$cli" ] || die "no Temporal CLI (.tools/bin/temporal): run scripts/setup.sh"
}

# Free loopback ports below the kernel's ephemeral range (which it never hands out by itself), checked by binding.
free_ports() { # N
  node -e '
    const net = require("node:net");
    const fs = require("node:fs");
    let hi = 32768;
    try { hi = Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || hi; } catch {}
    const n = Number(process.argv[1]);
    const got = new Set();
    const tryPort = (p) => new Promise((res) => {
      const s = net.createServer();
      s.once("error", () => res(false));
      s.listen({ port: p, host: "127.0.0.1", exclusive: true }, () => s.close(() => res(true)));
    });
    (async () => {
      while (got.size < n) {
        const p = 10000 + Math.floor(Math.random() * (hi - 10000));
        if (!got.has(p) && (await tryPort(p))) got.add(p);
      }
      console.log([...got].join(" "));
    })();
  ' "$1"
}

load_ports() {
  if [ ! -f "$dir/ports.env" ]; then
    read -r -a p <<<"$(free_ports 11)"
    cat >"$dir/ports.env" <<EOF
PG_PORT=${want_pg:-${p[0]}}
FRONTEND_PORT=${want_frontend:-${p[1]}}
FRONTEND_HTTP_PORT=${p[2]}
FRONTEND_MEMBERSHIP_PORT=${p[3]}
HISTORY_PORT=${p[4]}
HISTORY_MEMBERSHIP_PORT=${p[5]}
MATCHING_PORT=${p[6]}
MATCHING_MEMBERSHIP_PORT=${p[7]}
WORKER_PORT=${p[8]}
WORKER_MEMBERSHIP_PORT=${p[9]}
UI_PORT=${want_ui:-${p[10]}}
EOF
  fi
  # shellcheck disable=SC1091
  . "$dir/ports.env"
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# spawn NAME CMD...: in the background, in its own session, logging to DIR/NAME.log, pid in DIR/NAME.pid.
spawn() {
  local name="$1"; shift
  setsid "$@" >>"$dir/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/$name.pid"
}

stop_pid() { # NAME
  local f="$dir/$1.pid"
  pid_alive "$f" || { rm -f "$f"; return 0; }
  local pid; pid="$(cat "$f")"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$f"
}

# --- PostgreSQL -------------------------------------------------------------------------------------------------
pg_init() {
  [ -f "$pgdata/PG_VERSION" ] && return 0
  say "initialising PostgreSQL $POSTGRES_MAJOR in $pgdata"
  mkdir -p "$pgdata"
  printf '%s\n' "$db_password" >"$dir/pg.pwfile"
  if [ "$(id -u)" = 0 ]; then
    chmod 0755 "$dir"
    chown postgres "$pgdata" "$dir/pg.pwfile"
    runuser -u postgres -- test -w "$pgdata" || die "the postgres user cannot write $pgdata: choose a --dir it can reach"
  fi
  chmod 0700 "$pgdata"
  as_pg "$pgbin/initdb" -D "$pgdata" -U "$db_user" --pwfile="$dir/pg.pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >>"$dir/postgres-init.log" 2>&1 || die "initdb failed: see $dir/postgres-init.log"
  rm -f "$dir/pg.pwfile"
  cat >>"$pgdata/postgresql.conf" <<EOF
# production-topology.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 200
fsync = on
EOF
}

pg_start() {
  if as_pg "$pgbin/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then return 0; fi
  touch "$dir/postgres.log"; [ "$(id -u)" = 0 ] && chown postgres "$dir/postgres.log"
  as_pg "$pgbin/pg_ctl" -D "$pgdata" -o "-p $PG_PORT" -l "$dir/postgres.log" -w -t 60 start >/dev/null \
    || die "PostgreSQL did not start: see $dir/postgres.log"
}

pg_stop() {
  [ -f "$pgdata/PG_VERSION" ] || return 0
  as_pg "$pgbin/pg_ctl" -D "$pgdata" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

schema_setup() {
  [ -f "$dir/schema.done" ] && return 0
  local sql=("$sqltool" --plugin postgres12 --ep 127.0.0.1 -p "$PG_PORT" -u "$db_user" --pw "$db_password")
  for db in temporal:temporal temporal_visibility:visibility; do
    local name="${db%%:*}" kind="${db##*:}"
    say "creating database $name and its schema ($schema/$kind/versioned)"
    {
      "${sql[@]}" --db "$name" create-database
      "${sql[@]}" --db "$name" setup-schema -v 0.0
      "${sql[@]}" --db "$name" update-schema -d "$schema/$kind/versioned"
    } >>"$dir/schema.log" 2>&1 || die "schema set-up of $name failed: see $dir/schema.log"
  done
  touch "$dir/schema.done"
}

# --- Temporal server ---------------------------------------------------------------------------------------------
write_config() {
  cp "$root/docker/temporal-dynamicconfig.yaml" "$dir/dynamicconfig.yaml"

  store() { # NAME DATABASE MAXCONNS
    cat <<EOF
    $1:
      sql:
        pluginName: postgres12
        databaseName: $2
        connectAddr: "127.0.0.1:$PG_PORT"
        connectProtocol: tcp
        user: $db_user
        password: $db_password
        maxConns: $3
        maxIdleConns: $3
        maxConnLifetime: 1h
EOF
  }
  svc() { # NAME GRPC MEMBERSHIP [HTTP]
    echo "  $1:"
    echo "    rpc:"
    echo "      grpcPort: $2"
    echo "      membershipPort: $3"
    echo "      bindOnLocalHost: true"
    [ -z "${4:-}" ] || echo "      httpPort: $4"
  }
  {
    cat <<EOF
# Temporal server $TEMPORAL_SERVER_VERSION, written by scripts/production-topology.sh.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: 4
  datastores:
EOF
    store postgres-default temporal 20
    store postgres-visibility temporal_visibility 4
    cat <<EOF
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
services:
EOF
    svc frontend "$FRONTEND_PORT" "$FRONTEND_MEMBERSHIP_PORT" "$FRONTEND_HTTP_PORT"
    svc history "$HISTORY_PORT" "$HISTORY_MEMBERSHIP_PORT"
    svc matching "$MATCHING_PORT" "$MATCHING_MEMBERSHIP_PORT"
    svc worker "$WORKER_PORT" "$WORKER_MEMBERSHIP_PORT"
    cat <<EOF
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:$FRONTEND_PORT"
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: "$dir/dynamicconfig.yaml"
  pollInterval: 10s
EOF
  } >"$dir/temporal.yaml"
  "$server" validate-dynamic-config "$dir/dynamicconfig.yaml" >>"$dir/temporal.log" 2>&1 \
    || die "the dynamic config is refused: see $dir/temporal.log"
}

temporal_start() {
  pid_alive "$dir/temporal.pid" && return 0
  spawn temporal "$server" --config-file "$dir/temporal.yaml" --allow-no-auth start
  local end=$((SECONDS + 180))
  until "$cli" operator cluster health --address "127.0.0.1:$FRONTEND_PORT" 2>/dev/null | grep -q SERVING; do
    pid_alive "$dir/temporal.pid" || die "temporal-server exited: see $dir/temporal.log"
    [ $SECONDS -lt $end ] || die "temporal-server not healthy within 180 s: see $dir/temporal.log"
    sleep 0.5
  done
}

temporal_stop() { stop_pid temporal; }

register() {
  local addr=(--address "127.0.0.1:$FRONTEND_PORT")
  if ! "$cli" operator namespace describe "${addr[@]}" -n default >/dev/null 2>&1; then
    say "creating namespace default"
    "$cli" operator namespace create "${addr[@]}" -n default --retention 72h >>"$dir/register.log" 2>&1 \
      || "$cli" operator namespace describe "${addr[@]}" -n default >/dev/null 2>&1 \
      || die "namespace default could not be created: see $dir/register.log"
  fi
  local end=$((SECONDS + 120)) sa
  for sa in $SEARCH_ATTRIBUTES; do
    # Retried: a namespace just created takes a few seconds to reach every service.
    until "$cli" operator search-attribute list "${addr[@]}" -n default 2>/dev/null | grep -qw "$sa"; do
      "$cli" operator search-attribute create "${addr[@]}" -n default --name "$sa" --type Keyword >>"$dir/register.log" 2>&1 || true
      [ $SECONDS -lt $end ] || die "search attribute $sa not registered within 120 s: see $dir/register.log"
      "$cli" operator search-attribute list "${addr[@]}" -n default 2>/dev/null | grep -qw "$sa" || sleep 1
    done
  done
}

# --- UI server ----------------------------------------------------------------------------------------------------
ui_start() {
  pid_alive "$dir/ui.pid" && return 0
  mkdir -p "$dir/ui"
  cat >"$dir/ui/base.yaml" <<EOF
# Temporal UI server $TEMPORAL_UI_VERSION, written by scripts/production-topology.sh.
temporalGrpcAddress: "127.0.0.1:$FRONTEND_PORT"
host: 127.0.0.1
port: $UI_PORT
enableUi: true
defaultNamespace: default
disableNewsFetch: true
notifyOnNewVersion: false
cors:
  allowOrigins:
    - "http://127.0.0.1:$UI_PORT"
EOF
  : >"$dir/ui/production.yaml"
  spawn ui "$ui" --root "$dir" --config ui --env production start
  local end=$((SECONDS + 60))
  until curl -fsS -o /dev/null "http://127.0.0.1:$UI_PORT/" 2>/dev/null; do
    pid_alive "$dir/ui.pid" || die "the UI server exited: see $dir/ui.log"
    [ $SECONDS -lt $end ] || die "the UI server not serving within 60 s: see $dir/ui.log"
    sleep 0.3
  done
}

write_endpoints() {
  cat >"$dir/endpoints.json" <<EOF
{
  "temporalAddress": "127.0.0.1:$FRONTEND_PORT",
  "namespace": "default",
  "uiUrl": "http://127.0.0.1:$UI_PORT",
  "postgres": "postgresql://$db_user@127.0.0.1:$PG_PORT",
  "temporalServerVersion": "$TEMPORAL_SERVER_VERSION",
  "temporalUiVersion": "$TEMPORAL_UI_VERSION",
  "postgresMajor": $POSTGRES_MAJOR,
  "numHistoryShards": 4,
  "dir": "$dir"
}
EOF
}

status() {
  load_ports
  local ok=0
  if as_pg "$pgbin/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then echo "postgresql  running  127.0.0.1:$PG_PORT"; else echo "postgresql  stopped  127.0.0.1:$PG_PORT"; ok=1; fi
  if pid_alive "$dir/temporal.pid"; then echo "temporal    running  127.0.0.1:$FRONTEND_PORT (pid $(cat "$dir/temporal.pid"))"; else echo "temporal    stopped  127.0.0.1:$FRONTEND_PORT"; ok=1; fi
  if pid_alive "$dir/ui.pid"; then echo "ui          running  http://127.0.0.1:$UI_PORT (pid $(cat "$dir/ui.pid"))"; else echo "ui          stopped  http://127.0.0.1:$UI_PORT"; ok=1; fi
  echo "logs        $dir/*.log"
  return $ok
}

case "$cmd" in
  start)
    need_binaries
    load_ports
    pg_init
    pg_start
    schema_setup
    write_config
    temporal_start
    register
    ui_start
    write_endpoints
    if [ -n "$owner" ]; then
      stop_pid watchdog
      spawn watchdog bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 2; done
        exec env PRODUCTION_TOPOLOGY_WATCHDOG=1 bash "$2" stop --dir "$3"' watchdog "$owner" "$root/scripts/production-topology.sh" "$dir"
    fi
    status
    ;;
  stop)
    load_ports
    if [ "${PRODUCTION_TOPOLOGY_WATCHDOG:-}" = 1 ]; then rm -f "$dir/watchdog.pid"; else stop_pid watchdog; fi
    stop_pid ui
    temporal_stop
    pg_stop
    say "stopped"
    ;;
  status) status ;;
  stop-temporal) load_ports; temporal_stop ;;
  start-temporal) need_binaries; load_ports; temporal_start ;;
  restart-temporal) need_binaries; load_ports; temporal_stop; temporal_start ;;
  restart-postgres)
    load_ports
    as_pg "$pgbin/pg_ctl" -D "$pgdata" -o "-p $PG_PORT" -l "$dir/postgres.log" -m fast -w -t 60 restart >/dev/null \
      || die "PostgreSQL did not restart: see $dir/postgres.log"
    ;;
  *) sed -n 2,17p "$0" >&2; exit 2 ;;
esac

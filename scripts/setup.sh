#!/usr/bin/env bash
# Installs what cloneset-rollout's demo and tests need beyond npm packages. Idempotent; quick when already done.
#  - the Temporal CLI (real dev server) built with `go install` into .tools/bin unless TEMPORAL_CLI or PATH has one
#  - docker-compose (Debian package) to validate docker-compose.yml, when running as root with apt
#  - with --test: the real kube-apiserver, OpenKruise's kruise-manager (scripts/build-kruise.sh) and the Helm CLI
#    (scripts/build-helm.sh) for the test tiers, the Temporal server, its SQL tool and the UI server
#    (scripts/build-temporal-server.sh) for the production tier,
#    and, as root with apt, kubectl, chromium, prometheus and postgresql-15 (Debian packages) when missing
set -euo pipefail
cd "$(dirname "$0")/.."

tools="${CLONESET_ROLLOUT_TOOLS:-$PWD/.tools/bin}"
if [ -n "${TEMPORAL_CLI:-}" ] && [ -x "$TEMPORAL_CLI" ]; then
  :
elif command -v temporal >/dev/null 2>&1 || [ -x "$tools/temporal" ]; then
  :
elif command -v go >/dev/null 2>&1; then
  echo "setup: building the Temporal CLI (go install github.com/temporalio/cli/cmd/temporal@v1.5.1; first time only)"
  mkdir -p "$tools"
  GOBIN="$tools" GOFLAGS=-mod=mod go install github.com/temporalio/cli/cmd/temporal@v1.5.1
else
  echo "setup: no temporal binary and no Go; the dev server will try @temporalio/testing's download" >&2
fi

if [ "${1:-}" = "--test" ]; then
  if ! command -v kubectl >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing kubectl (Debian package kubernetes-client) for the kubectl tests"
    (apt-get install -y -qq kubernetes-client >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq kubernetes-client; }) >/dev/null
  fi
  # A real kube-apiserver (embedded etcd) for the realkube tests: built once from tools/kube-apiserver, then cached.
  if command -v go >/dev/null 2>&1; then
    bash scripts/build-kube-apiserver.sh
  else
    echo "setup: no Go: the realkube tests cannot run" >&2
  fi
  # OpenKruise's kruise-manager for the kruise tier (test/kruise: the same scenarios under Kruise and under ours):
  # built once from the Go module proxy, then cached. Without it the tier fails, saying so.
  if command -v go >/dev/null 2>&1; then
    bash scripts/build-kruise.sh || echo "setup: building kruise-manager failed: the kruise tier cannot run" >&2
  else
    echo "setup: no Go: kruise-manager cannot be built, the kruise tier cannot run (it fails)" >&2
  fi
  # The Helm CLI for the chart tests (helm lint, helm template): built once from the Go module proxy, then cached.
  if command -v go >/dev/null 2>&1; then
    bash scripts/build-helm.sh || echo "setup: building helm failed: the chart tests cannot run (they fail)" >&2
  else
    echo "setup: no Go: helm cannot be built, the chart tests cannot run (they fail)" >&2
  fi
  # The production tier (test/production): Temporal server + UI server built once from the Go module proxy (cached),
  # on PostgreSQL 15 from Debian. Without them the tier fails, saying so.
  if command -v go >/dev/null 2>&1; then
    bash scripts/build-temporal-server.sh || echo "setup: building the Temporal server failed: the production tier cannot run" >&2
  else
    echo "setup: no Go: the Temporal server cannot be built, the production tier cannot run (it fails)" >&2
  fi
  if ! [ -x /usr/lib/postgresql/15/bin/initdb ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "setup: installing postgresql-15 (Debian package) for the production tier"
      (apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql-15; }) >/dev/null
    else
      echo "setup: /usr/lib/postgresql/15/bin/initdb missing; install it (e.g. apt-get install postgresql-15) to run the production tier" >&2
    fi
  fi
  # Headless chromium from Debian for the Temporal UI test (playwright-core drives it; no browser download ever).
  if ! [ -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "setup: installing chromium (Debian package) for the Temporal UI test"
      (apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium; }) >/dev/null
    else
      echo "setup: /usr/bin/chromium missing; install it (e.g. apt-get install chromium) to run the UI test" >&2
    fi
  fi
  # Prometheus from Debian (2.42) for the tests that scrape the simulated kubelet's metrics and run real PromQL.
  if ! [ -x /usr/bin/prometheus ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "setup: installing prometheus (Debian package) for the metric analysis tests"
      (apt-get install -y -qq --no-install-recommends prometheus >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus; }) >/dev/null
    else
      echo "setup: /usr/bin/prometheus missing; install it (e.g. apt-get install --no-install-recommends prometheus) to run the metric analysis tests" >&2
    fi
  fi
  if ! command -v docker-compose >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "setup: installing docker-compose (Debian package) to validate docker-compose.yml"
      (apt-get install -y -qq docker-compose >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq docker-compose; }) >/dev/null
    else
      echo "setup: docker-compose missing; install it (e.g. apt-get install docker-compose) to run the compose test" >&2
    fi
  fi
fi

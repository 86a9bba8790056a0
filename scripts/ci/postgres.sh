#!/usr/bin/env bash
# A throw-away PostgreSQL 15 server with pgvector for the gallery's server tests.
#
#   scripts/ci/postgres.sh start        # prints a postgresql:// URL on stdout (and nothing else)
#   scripts/ci/postgres.sh stop URL     # stops that server and deletes its files
#
# `start` builds pgvector from ../shared/vendor/pgvector into the local PostgreSQL 15 when the
# extension is missing (about 10 s, needs root and postgresql-server-dev-15), then runs initdb and
# a server that listens only on a Unix socket in a fresh private folder (no TCP port, so parallel
# runs cannot collide). Exits non-zero, with the reason on stderr, when it cannot.
set -euo pipefail
cd "$(dirname "$0")/../.."

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
VENDOR=${ARCFACE_PGVECTOR_SOURCE:-../shared/vendor/pgvector/pgvector_0.8.0.orig.tar.gz}
PORT=${ARCFACE_PG_PORT:-54329}

fail() { echo "postgres.sh: $*" >&2; exit 1; }

# Runs a PostgreSQL binary as the owner of the data folder: PostgreSQL refuses to run as root.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ensure_pgvector() {
  local sharedir
  sharedir=$("$PG_BIN/pg_config" --sharedir 2>/dev/null || pg_config --sharedir)
  [ -f "$sharedir/extension/vector.control" ] && return 0
  [ -f "$VENDOR" ] || fail "pgvector is not installed and its source $VENDOR is missing; install pgvector for PostgreSQL 15 or set ARCFACE_PG_URL"
  command -v make >/dev/null || fail "pgvector is not installed and make is missing"
  local build
  build=$(mktemp -d)
  tar xzf "$VENDOR" -C "$build"
  # OPTFLAGS="" keeps the build portable (no -march=native); with_llvm=no skips the JIT bitcode.
  make -s -C "$build"/pgvector-* PG_CONFIG="$PG_BIN/pg_config" OPTFLAGS="" with_llvm=no >/dev/null 2>&1 \
    && make -s -C "$build"/pgvector-* PG_CONFIG="$PG_BIN/pg_config" OPTFLAGS="" with_llvm=no install >/dev/null 2>&1 \
    || { rm -rf "$build"; fail "building pgvector failed (needs postgresql-server-dev-15 and a C compiler, and root to install)"; }
  rm -rf "$build"
}

start() {
  [ -x "$PG_BIN/initdb" ] || fail "PostgreSQL 15 is not installed ($PG_BIN/initdb missing); apt-get install postgresql-15 postgresql-server-dev-15, or set ARCFACE_PG_URL"
  ensure_pgvector
  local dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/arcface-pg.XXXXXX")
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
  chmod 700 "$dir"
  as_owner "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null \
    || fail "initdb failed in $dir"
  as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $PORT -k $dir -c listen_addresses='' -c fsync=off -c max_connections=50 -c maintenance_work_mem=512MB" start >/dev/null \
    || { cat "$dir/server.log" >&2 || true; fail "the server did not start (log above)"; }
  as_owner "$PG_BIN/psql" -h "$dir" -p "$PORT" -U postgres -d postgres -qAt -c 'CREATE EXTENSION IF NOT EXISTS vector' >/dev/null \
    || fail "CREATE EXTENSION vector failed"
  echo "postgresql://postgres@localhost:$PORT/postgres?host=$dir"
}

stop() {
  local url=${1:-}
  [ -n "$url" ] || fail "usage: postgres.sh stop URL (the URL that start printed)"
  local dir=${url##*host=}
  dir=${dir%%&*}
  case "$dir" in
    "${TMPDIR:-/tmp}"/arcface-pg.*) ;;
    *) fail "$dir is not a folder that postgres.sh start made; refusing to touch it" ;;
  esac
  if [ -d "$dir/data" ]; then as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null || true; fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) fail "usage: postgres.sh start | stop URL" ;;
esac

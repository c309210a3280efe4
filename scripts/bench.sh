#!/usr/bin/env bash
# `make bench`: run the benchmarks (python -m bench) against PostgreSQL and
# Redis when available, then print var/bench/results.json.
# Extra arguments go to the bench module: make bench ARGS='--quick' (tiny sizes, every
# module once: a check that it runs) or ARGS='--only bench.load'.
# bench.load starts its own gunicorn, Celery worker and sealer processes on the bench's
# throw-away database and stops them; the Redis is ours (scripts/services.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

log() { printf '[bench] %s\n' "$*"; }
warn() { printf '[bench] WARNING: %s\n' "$*" >&2; }
mask() { sed -E 's#(://[^:/@]+:)[^@]*@#\1***@#' <<<"$1"; }

bash scripts/setup.sh

# shellcheck source=scripts/services.sh
source scripts/services.sh
export VIRTUAL_ENV="$PWD/.venv"
export PATH="$VIRTUAL_ENV/bin:$PATH"

ensure_postgres || warn "PostgreSQL could not be started: benchmarking on SQLite (numbers not comparable)"
ensure_redis || warn "Redis could not be started: Celery uses the filesystem broker"
log "database: $(mask "${DATABASE_URL:-sqlite (var/fundflow.sqlite3)}")"
log "broker:   $(mask "${CELERY_BROKER_URL:-filesystem (var/celery)}")"

mkdir -p var/bench
results=var/bench/results.json
rm -f "$results"
rc=0
python -m bench "$@" || rc=$?  # a module that fails is reported; the others' figures are written

[[ -f $results ]] || { printf '[bench] ERROR: %s was not written\n' "$results" >&2; exit 1; }
log "results ($results):"
cat "$results"
echo
log "make bench took $((SECONDS - started)) s (budget: 1800 s on 2 cores)"
exit "$rc"

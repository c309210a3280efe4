#!/usr/bin/env bash
# `make test`: lint, import contracts, types, migration check and pytest, against PostgreSQL and Redis
# when they can be provided (else SQLite and the filesystem broker).
# Extra arguments go to pytest: make test ARGS='-k budget -x'
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[test] %s\n' "$*"; }
warn() { printf '[test] WARNING: %s\n' "$*" >&2; }
mask() { sed -E 's#(://[^:/@]+:)[^@]*@#\1***@#' <<<"$1"; }

# step NAME COMMAND...: run COMMAND, stop the whole run if it fails.
step() {
    local name=$1 rc=0
    shift
    log "==> $name"
    "$@" || rc=$?
    if ((rc)); then
        printf '[test] FAILED: %s (exit %d)\n' "$name" "$rc" >&2
        exit "$rc"
    fi
}

# step_quiet NAME COMMAND...: like step, but prints COMMAND's output only when it fails
# (on success, its last line and the time taken).
step_quiet() {
    local name=$1 rc=0 out start
    shift
    out=$(mktemp)
    start=$SECONDS
    "$@" >"$out" 2>&1 || rc=$?
    if ((rc)); then
        log "==> $name"
        cat "$out" >&2
        rm -f "$out"
        printf '[test] FAILED: %s (exit %d)\n' "$name" "$rc" >&2
        exit "$rc"
    fi
    log "==> $name: $(grep -v '^[[:space:]]*$' "$out" | tail -n 1) ($((SECONDS - start)) s)"
    rm -f "$out"
}

bash scripts/setup.sh

# shellcheck source=scripts/services.sh
source scripts/services.sh
export VIRTUAL_ENV="$PWD/.venv"
export PATH="$VIRTUAL_ENV/bin:$PATH"

if ! ensure_postgres; then
    warn "PostgreSQL could not be started: tests marked 'postgres' will be SKIPPED; using SQLite"
fi
if ! ensure_redis; then
    warn "Redis could not be started: Celery uses ${CELERY_BROKER_URL:+$(mask "$CELERY_BROKER_URL")}${CELERY_BROKER_URL:-the filesystem broker under var/celery}"
fi
log "database: $(mask "${DATABASE_URL:-sqlite (var/fundflow.sqlite3; tests use an in-memory test database)}")"
log "broker:   $(mask "${CELERY_BROKER_URL:-filesystem (var/celery)}")"

step "ruff check" ruff check .
step "ruff format --check" ruff format --check .
# Layer contracts in .importlinter; types per [tool.mypy] in pyproject.toml (cache: .mypy_cache).
step_quiet "lint-imports" lint-imports --no-logo --no-cache
step_quiet "mypy" mypy
# DEBUG only so settings load without a SECRET_KEY (pytest sets up its own).
step "makemigrations --check" env DEBUG="${DEBUG:-1}" python manage.py makemigrations --check --dry-run

log "==> pytest $*"
rc=0
python -m pytest "$@" || rc=$?
case $rc in
    0) log "all checks passed" ;;
    5)
        printf '[test] FAILED: pytest collected no tests (exit 5)\n' >&2
        exit 5
        ;;
    *)
        printf '[test] FAILED: pytest (exit %d)\n' "$rc" >&2
        exit "$rc"
        ;;
esac

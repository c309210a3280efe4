#!/usr/bin/env bash
# `make run`: set up, migrate, seed demo data, then run a Celery worker (with
# embedded beat) and the gunicorn web server until Ctrl-C.
# Uses SQLite (var/fundflow.sqlite3) unless DATABASE_URL is set. The Celery broker is
# CELERY_BROKER_URL when given, else our own Redis (started here, on a Unix socket
# under var/redis/, stopped with the rest), else the filesystem broker.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[run] %s\n' "$*"; }
die() { printf '[run] ERROR: %s\n' "$*" >&2; exit 1; }
mask() { sed -E 's#(://[^:/@]+:)[^@]*@#\1***@#' <<<"$1"; }
# shellcheck disable=SC2016  # $0 is expanded by the inner bash
port_open() { timeout 1 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0"' "$1" 2>/dev/null; }

bash scripts/setup.sh
mkdir -p var

# shellcheck source=scripts/services.sh
source scripts/services.sh
export VIRTUAL_ENV="$PWD/.venv"
export PATH="$VIRTUAL_ENV/bin:$PATH"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings}"
export DEBUG="${DEBUG:-1}"
port="${PORT:-8000}"
# Letters print SITE_URL in their verification link and QR code: the port served here.
export SITE_URL="${SITE_URL:-http://127.0.0.1:$port}"

command -v setsid >/dev/null 2>&1 || die "setsid (util-linux) is required"
if port_open "$port"; then
    die "port $port on 127.0.0.1 is already in use; stop that server or use PORT=8001 make run"
fi

own_redis=0
[[ -z ${CELERY_BROKER_URL:-} ]] && own_redis=1
if ensure_redis; then
    log "Celery broker: $(mask "$CELERY_BROKER_URL")"
elif [[ -n ${CELERY_BROKER_URL:-} ]]; then
    log "Redis not available; Celery broker: $(mask "$CELERY_BROKER_URL")"
else
    log "Redis not available; Celery uses the filesystem broker under var/celery"
fi
log "database: $(mask "${DATABASE_URL:-sqlite var/fundflow.sqlite3}")"

python manage.py migrate --noinput
python manage.py collectstatic --noinput -v0
python manage.py seed_demo

# --- background processes ---------------------------------------------------------
# Each child runs in its own session/process group (setsid), so a Ctrl-C on the
# terminal reaches only this script, which then stops each group in order.
pids=()
names=()

start() { # start NAME COMMAND...
    local name=$1
    shift
    setsid "$@" &
    pids+=("$!")
    names+=("$name")
    log "started $name (pid $!)"
}

# shellcheck disable=SC2317  # called from the traps below
stop_children() {
    trap - INT TERM EXIT
    local force=0 i pid alive
    trap 'force=1' INT TERM
    ((${#pids[@]})) || return 0
    log "stopping ${names[*]} ..."
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    # Up to 20 s for each process group to empty; a second Ctrl-C skips the wait.
    for ((i = 0; i < 100 && !force; i++)); do
        alive=0
        for pid in "${pids[@]}"; do
            kill -0 -- "-$pid" 2>/dev/null && alive=1
        done
        ((alive)) || break
        sleep 0.2
    done
    for pid in "${pids[@]}"; do
        kill -KILL -- "-$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    pids=()
    if ((own_redis)); then stop_redis; fi
    log "stopped"
}
trap 'stop_children; exit 130' INT
trap 'stop_children; exit 143' TERM
trap 'stop_children' EXIT

start celery celery -A config worker -B -l info --concurrency 2 -s var/celerybeat-schedule
start web gunicorn config.wsgi:application \
    --bind "127.0.0.1:$port" --workers "${WEB_WORKERS:-2}" --access-logfile -

for ((i = 0; i < 75; i++)); do
    port_open "$port" && break
    kill -0 "${pids[1]}" 2>/dev/null || break
    sleep 0.2
done

cat <<MSG

  fundflow is running:   http://127.0.0.1:$port/
  API docs:              http://127.0.0.1:$port/api/v1/docs
  demo login:            admin / demo-pass-2026   (other demo accounts: see README.md)
  Press Ctrl-C to stop the web server and the Celery worker.

MSG

# Wait until a child exits on its own (or a signal runs the trap).
status=0
wait -n "${pids[@]}" || status=$?
for i in "${!pids[@]}"; do
    kill -0 "${pids[$i]}" 2>/dev/null || log "${names[$i]} exited (status $status); shutting down"
done
exit "$((status ? status : 1))"

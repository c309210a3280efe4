#!/usr/bin/env bash
# Local Redis and PostgreSQL for fundflow.
#
# Source this file, then call the functions:
#     source scripts/services.sh
#     ensure_redis     # exports CELERY_BROKER_URL (unless already set)
#     ensure_postgres  # exports DATABASE_URL (does nothing if already set)
# Each returns non-zero (never exits the caller's shell) when the service
# cannot be provided. Messages go to stderr.
#
# It can also be executed; it then prints the export lines, e.g.
#     eval "$(scripts/services.sh postgres redis)"
#
# No global `set -e` here: every step checks its own result and `return`s.

_FF_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

_ff_log() { printf '[services] %s\n' "$*" >&2; }

# ----------------------------------------------------------------------------
# Redis: our own server, never one we did not start
# ----------------------------------------------------------------------------
# A Redis found on 127.0.0.1:6379 may belong to another instance, whose workers
# would take our tasks, or may have lost its data directory (MISCONF: every write
# refused). So ensure_redis starts a private redis-server for this checkout: it
# listens only on a Unix socket under var/redis/ (no TCP port, so two checkouts
# never meet), keeps no snapshot (the transactional outbox in the database, not the
# broker, is what survives a restart), and is reused only while its pidfile's process
# answers on that socket. A CELERY_BROKER_URL given in the environment wins.
_FF_REDIS_DIR="$_FF_ROOT/var/redis"
_FF_REDIS_SOCK="$_FF_REDIS_DIR/redis.sock"

# True when our own redis-server (pidfile) is alive and answers PING on its socket.
_ff_redis_ours() {
    local pid
    [[ -S $_FF_REDIS_SOCK && -f $_FF_REDIS_DIR/redis.pid ]] || return 1
    pid="$(cat "$_FF_REDIS_DIR/redis.pid" 2>/dev/null)"
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
    [[ "$(timeout 3 redis-cli -s "$_FF_REDIS_SOCK" ping 2>/dev/null)" == PONG ]]
}

# Start our redis-server (or keep the one already running); no export.
start_own_redis() {
    local i
    if _ff_redis_ours; then
        return 0
    fi
    if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
        _ff_log "redis: redis-server is not installed (apt-get install redis-server)"
        return 1
    fi
    mkdir -p "$_FF_REDIS_DIR" || return 1
    rm -f "$_FF_REDIS_SOCK"
    _ff_log "redis: starting our own redis-server on var/redis/redis.sock"
    redis-server \
        --daemonize yes \
        --port 0 \
        --unixsocket "$_FF_REDIS_SOCK" \
        --unixsocketperm 700 \
        --dir "$_FF_REDIS_DIR" \
        --save "" \
        --appendonly no \
        --stop-writes-on-bgsave-error no \
        --pidfile "$_FF_REDIS_DIR/redis.pid" \
        --logfile "$_FF_REDIS_DIR/redis.log" ||
        { _ff_log "redis: redis-server failed to start, see var/redis/redis.log"; return 1; }
    for ((i = 0; i < 50; i++)); do
        _ff_redis_ours && break
        sleep 0.2
    done
    if ! _ff_redis_ours; then
        _ff_log "redis: not answering after 10 s, see var/redis/redis.log"
        return 1
    fi
    _ff_log "redis: started (pid $(cat "$_FF_REDIS_DIR/redis.pid"))"
}

# Export CELERY_BROKER_URL: the one given, else our own Redis.
ensure_redis() {
    if [[ -n ${CELERY_BROKER_URL:-} ]]; then
        _ff_log "redis: CELERY_BROKER_URL given, using it as it is"
        return 0
    fi
    start_own_redis || return 1
    export CELERY_BROKER_URL="redis+socket://$_FF_REDIS_SOCK"
    return 0
}

# Stop the redis-server that start_own_redis started (pidfile under var/redis/).
stop_redis() {
    local pidfile="$_FF_REDIS_DIR/redis.pid" pid i
    [[ -f $pidfile ]] || return 0
    pid="$(cat "$pidfile")"
    if [[ -n $pid ]] && kill "$pid" 2>/dev/null; then
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        _ff_log "redis: stopped pid $pid"
    fi
    rm -f "$pidfile" "$_FF_REDIS_SOCK"
}

# ----------------------------------------------------------------------------
# PostgreSQL (Debian postgresql-common layout)
# ----------------------------------------------------------------------------
_FF_PG_DB=fundflow
_FF_PG_USER=fundflow
_FF_PG_PASSWORD=fundflow

# Run a command as the postgres OS user.
_ff_as_postgres() {
    if [[ $EUID -eq 0 ]]; then
        if command -v runuser >/dev/null 2>&1; then
            runuser -u postgres -- "$@"
        else
            su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
        fi
    elif [[ "$(id -un)" == postgres ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n -u postgres -- "$@"
    else
        _ff_log "postgres: need root, the postgres user or passwordless sudo to administer PostgreSQL"
        return 1
    fi
}

# Print "version name port status" of the cluster to use: the one named
# "main" with the highest version, else the highest version of any name.
_ff_pg_cluster() {
    pg_lsclusters -h 2>/dev/null |
        awk '{ print ($2 == "main" ? 1 : 0), $1, $2, $3, $4 }' |
        sort -k1,1nr -k2,2Vr |
        awk 'NR == 1 { print $2, $3, $4, $5 }'
}

ensure_postgres() {
    if [[ -n ${DATABASE_URL:-} ]]; then
        _ff_log "postgres: DATABASE_URL already set, leaving it alone"
        return 0
    fi

    local bindirs=() ver name port status url i newest
    shopt -s nullglob
    bindirs=(/usr/lib/postgresql/*/bin)
    shopt -u nullglob
    if ((${#bindirs[@]} == 0)) || ! command -v pg_lsclusters >/dev/null 2>&1; then
        _ff_log "postgres: PostgreSQL server is not installed (apt-get install postgresql)"
        return 1
    fi

    read -r ver name port status <<<"$(_ff_pg_cluster)"
    if [[ -z ${ver:-} ]]; then
        newest="$(printf '%s\n' "${bindirs[@]}" | awk -F/ '{ print $5 }' | sort -V | tail -n 1)"
        _ff_log "postgres: no cluster found, creating $newest/main"
        pg_createcluster --locale C.UTF-8 --encoding UTF8 "$newest" main >&2 ||
            { _ff_log "postgres: pg_createcluster $newest main failed"; return 1; }
        read -r ver name port status <<<"$(_ff_pg_cluster)"
        [[ -n ${ver:-} ]] || { _ff_log "postgres: cluster still missing after pg_createcluster"; return 1; }
    fi

    if [[ $status != online* ]]; then
        _ff_log "postgres: starting cluster $ver/$name (port $port)"
        # The socket directory lives on tmpfs on many systems.
        if [[ $EUID -eq 0 && ! -d /var/run/postgresql ]]; then
            install -d -o postgres -g postgres -m 2775 /var/run/postgresql || return 1
        fi
        pg_ctlcluster "$ver" "$name" start >&2 ||
            { _ff_log "postgres: pg_ctlcluster $ver $name start failed, see /var/log/postgresql/postgresql-$ver-$name.log"; return 1; }
    fi

    for ((i = 0; i < 60; i++)); do
        pg_isready -q -h 127.0.0.1 -p "$port" && break
        sleep 0.5
    done
    if ! pg_isready -q -h 127.0.0.1 -p "$port"; then
        _ff_log "postgres: cluster $ver/$name not accepting TCP connections on 127.0.0.1:$port after 30 s"
        return 1
    fi

    url="postgres://$_FF_PG_USER:$_FF_PG_PASSWORD@127.0.0.1:$port/$_FF_PG_DB"
    # Role and database: create (or repair) only when we cannot log in already.
    if ! PGCONNECT_TIMEOUT=5 psql "$url" -qAtX -c 'select 1' >/dev/null 2>&1; then
        _ff_log "postgres: creating role and database '$_FF_PG_DB'"
        _ff_as_postgres psql -p "$port" -qAtX -v ON_ERROR_STOP=1 -d postgres >&2 <<SQL || return 1
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$_FF_PG_USER') THEN
        CREATE ROLE $_FF_PG_USER LOGIN CREATEDB PASSWORD '$_FF_PG_PASSWORD';
    ELSE
        ALTER ROLE $_FF_PG_USER LOGIN CREATEDB PASSWORD '$_FF_PG_PASSWORD';
    END IF;
END
\$\$;
SELECT 'CREATE DATABASE $_FF_PG_DB OWNER $_FF_PG_USER ENCODING ''UTF8'' TEMPLATE template0'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$_FF_PG_DB')
\gexec
SQL
        if ! PGCONNECT_TIMEOUT=5 psql "$url" -qAtX -c 'select 1' >/dev/null; then
            _ff_log "postgres: still cannot connect as $_FF_PG_USER over TCP; check pg_hba.conf of $ver/$name"
            return 1
        fi
    fi

    export DATABASE_URL="$url"
    _ff_log "postgres: cluster $ver/$name ready on 127.0.0.1:$port, database '$_FF_PG_DB'"
    return 0
}

# ----------------------------------------------------------------------------
# Executed directly: run ensure_<name> for each argument, print exports.
# ----------------------------------------------------------------------------
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    if (($# == 0)); then
        echo "usage: $0 postgres|redis ...   (prints export lines for eval)" >&2
        exit 2
    fi
    for _ff_service in "$@"; do
        "ensure_$_ff_service"
    done
    [[ -n ${DATABASE_URL:-} ]] && printf 'export DATABASE_URL=%q\n' "$DATABASE_URL"
    [[ -n ${CELERY_BROKER_URL:-} ]] && printf 'export CELERY_BROKER_URL=%q\n' "$CELERY_BROKER_URL"
    exit 0
fi

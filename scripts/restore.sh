#!/usr/bin/env bash
# `make restore BACKUP=folder [FORCE=1]`: restore a backup into the database DATABASE_URL
# names (empty, e.g. fresh from createdb, unless FORCE=1) and MEDIA_ROOT, then check every
# table's row count against the manifest and verify the audit chain (needs the audit keys
# the backup was made with: AUDIT_HMAC_KEYS, AUDIT_SIGNING_KEY, AUDIT_TRUSTED_PUBLIC_KEYS).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z ${1:-} ]]; then
    echo "usage: make restore BACKUP=var/backups/<folder> [FORCE=1]" >&2
    exit 2
fi
[[ -x .venv/bin/python ]] || bash scripts/setup.sh
[[ -n ${SECRET_KEY:-} ]] || export DEBUG="${DEBUG:-1}"
args=("$1")
[[ -n ${FORCE:-} && ${FORCE} != 0 ]] && args+=(--force)
exec .venv/bin/python manage.py restore "${args[@]}"

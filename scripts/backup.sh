#!/usr/bin/env bash
# `make backup [BACKUP=folder]`: the database (pg_dump or SQLite's online backup) and the
# uploaded files, with a manifest, into var/backups/<UTC time>/ or the folder given.
# Uses the same environment as the server (DATABASE_URL, MEDIA_ROOT, SECRET_KEY...).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x .venv/bin/python ]] || bash scripts/setup.sh
# Without a SECRET_KEY this is the development set-up (make run): DEBUG so settings load.
[[ -n ${SECRET_KEY:-} ]] || export DEBUG="${DEBUG:-1}"
exec .venv/bin/python manage.py backup ${1:+"$1"}

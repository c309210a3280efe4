#!/usr/bin/env bash
# Install everything fundflow needs: OS packages (when root with apt), the
# Python virtualenv in .venv, and compiled translations.
# Safe to run repeatedly: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STAMP="$VENV/.installed-stamp"
OS_PACKAGES=(
    fonts-noto-cjk fonts-wqy-microhei fonts-arphic-gkai00mp
    libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0
    redis-server postgresql gettext poppler-utils
    chromium
)

log() { printf '[setup] %s\n' "$*"; }
warn() { printf '[setup] WARNING: %s\n' "$*" >&2; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# --- OS packages --------------------------------------------------------------
pkg_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    for pkg in "${OS_PACKAGES[@]}"; do
        pkg_installed "$pkg" || missing+=("$pkg")
    done
else
    warn "dpkg not found; cannot check OS packages. Make sure these (or your OS's equivalents) are installed:"
    warn "  ${OS_PACKAGES[*]}"
fi

if ((${#missing[@]})); then
    if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "installing OS packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q --no-install-recommends "${missing[@]}"
    else
        warn "missing OS packages (PDF fonts/rendering, services, translations):"
        warn "  sudo apt-get install -y --no-install-recommends ${missing[*]}"
        warn "continuing without them; some features and tests may be skipped or fail."
    fi
else
    log "OS packages present"
fi

# --- Python virtualenv ---------------------------------------------------------
pick_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.11 python3; do
        [[ -n $candidate ]] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

if [[ -d $VENV ]] && ! "$VENV/bin/python" -c '' >/dev/null 2>&1; then
    warn "$VENV is broken (its interpreter does not run); recreating it"
    rm -rf "$VENV"
fi

if [[ ! -d $VENV ]]; then
    python=$(pick_python) || die "Python 3.11 is required (set PYTHON=/path/to/python3.11)"
    log "creating $VENV with $python ($("$python" --version 2>&1))"
    "$python" -m venv "$VENV" ||
        die "could not create $VENV (on Debian: apt-get install python3-venv)"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
fi

if [[ ! -f $STAMP || pyproject.toml -nt $STAMP ]]; then
    log "installing the project into $VENV (pip install -e '.[dev]')"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[dev]'
    touch "$STAMP"
else
    log "Python packages up to date ($STAMP newer than pyproject.toml)"
fi

mkdir -p var

# --- translations ----------------------------------------------------------------
if [[ -d locale ]]; then
    if command -v msgfmt >/dev/null 2>&1; then
        log "compiling translations"
        # DEBUG only so settings load without a SECRET_KEY; nothing else runs here.
        DEBUG="${DEBUG:-1}" "$VENV/bin/python" manage.py compilemessages -v0 --ignore=.venv --ignore=var
    else
        warn "msgfmt not found (apt-get install gettext); translations not compiled"
    fi
fi

# --- letter fonts ------------------------------------------------------------------
# The letter styles' free faces (Noto Serif CJK SC Regular and Bold, Noto Sans CJK SC,
# AR PL KaitiM GB) cut once to GB 2312 + ASCII + punctuation (letters/fonts.py, ~40 s the
# first time); the command does nothing when var/fonts/ already holds the current version.
log "letter fonts (var/fonts)"
DEBUG="${DEBUG:-1}" "$VENV/bin/python" manage.py letters_fonts >/dev/null ||
    warn "letter font not built; letters fall back to the full Noto font (slower)"

log "done"

"""fundflow settings: one module, every deployment difference comes from the environment.

See README.md ("Configuration") for the variables. A bad value stops the
process at start with a message that names the variable.
"""

from __future__ import annotations

from pathlib import Path

import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import (
    broker_from_env,
    database_from_env,
    email_from_env,
    env_bool,
    env_int,
    env_list,
    env_str,
    env_timezone,
    signing_keys_from_env,
    storage_from_env,
)

# Django's generic classes (ModelAdmin[Program], …) subscriptable at run time, as django-stubs
# types them; nothing else changes.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("FUNDFLOW_TESTING", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-do-not-use-in-production"
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off (set DEBUG=1 for local development)"
        )

# Rotating SECRET_KEY: the old one here keeps sessions, password-reset links and API tokens
# working until they end.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # viewflow detects object permissions by this exact app label.
    "guardian",
    "viewflow",
    "viewflow.workflow",
    "ninja",
    # login limits (state in the database), second factor (TOTP + recovery codes)
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "grants",
    "finance",
    "workflows",
    "rules",
    "agencies",
    # the generic steps a programme kind uses (navigation so far): each needs only an application
    "experts",
    "notices",
    "milestones",
    "navigation",
    # programme definitions (export, import, clone, versions) and the steps by configuration
    "programs",
    "indicators",
    "letters",
    "accounts",
    "ops",
    # last: the demo data may import every app above, and nothing imports it
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy on HTML pages (django-csp), see CONTENT_SECURITY_POLICY below
    "accounts.middleware.PageCSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.ChineseFirstLocaleMiddleware",
    "config.middleware.ApiBodyLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SessionIdleMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.dbfaults.DatabaseFaultMiddleware",
    "config.dbfaults.ConflictRetryMiddleware",
    "config.boundary.InputGuardMiddleware",
    # django-axes: last, so that it sees the lockout flag that the login set
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "workflows.context_processors.nav_counts",
                "finance.context_processors.nav_finance",
                "indicators.context_processors.nav_roles",
                "navigation.context_processors.nav_expert",
                "agencies.context_processors.nav_agency",
            ],
            # the words layer's filters (yuan, cdate, status_label …) in every template
            "builtins": ["grants.templatetags.words"],
        },
    },
]

DATABASES = {"default": database_from_env("DATABASE_URL", VAR_DIR / "fundflow.sqlite3")}
# Not ATOMIC_REQUESTS: each domain action opens its own transaction, so row
# locks are short and a conflict becomes a clean 409 instead of an aborted request.
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "grants.User"
AUTHENTICATION_BACKENDS = [
    # first: refuses a locked-out login before any password is checked
    "accounts.limits.LoginLimitBackend",
    "grants.auth.FundflowBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 8, minimum=8)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Chinese first, English second.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_timezone("TIME_ZONE", "Asia/Urumqi")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or VAR_DIR / "static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise reads it at start
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")
MEDIA_URL = "/media/"  # never served publicly: attachments go through permission-checked views
STORAGES = {
    # attachments/… and letters/…: MEDIA_ROOT, or an S3-compatible bucket (FILE_STORAGE_URL=s3://…)
    "default": storage_from_env("FILE_STORAGE_URL"),
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# Uploads: 20 MB per attachment; anything larger is refused with 413 before parsing.
FUNDFLOW_MAX_UPLOAD_BYTES = env_int("FUNDFLOW_MAX_UPLOAD_BYTES", 20 * 1024 * 1024, minimum=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_PERMISSIONS = 0o640

vars().update(email_from_env("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "fundflow <noreply@localhost>")
# Absolute address of the web UI, for links in e-mails and letters.
FUNDFLOW_SITE_URL = (env_str("SITE_URL") or "http://127.0.0.1:8000").rstrip("/")
# Letters are issued by the authority of the level that decided (letters.IssuingAuthority,
# set in the admin). These two are only the city bureau's name and 机关代字 until then.
FUNDFLOW_LETTER_AUTHORITY = env_str("LETTER_AUTHORITY", "乌鲁木齐市市场监督管理局（知识产权局）")
FUNDFLOW_LETTER_PREFIX = env_str("LETTER_NUMBER_PREFIX", "乌知运")
# Letter signatures (letters.signing): keys and certificates, trust roots for checking, and
# whether an authority without a configured key signs with a self-signed demo certificate.
FUNDFLOW_LETTER_SIGNING_KEYS = signing_keys_from_env()
FUNDFLOW_LETTER_TRUST_ROOTS = env_list("LETTER_TRUST_ROOTS", [])
FUNDFLOW_LETTER_SIGNING_DEMO = env_bool("LETTER_SIGNING_DEMO", True)
# Licensed faces for the letter styles (letters.pdf): a fontconfig family name or a font file.
FUNDFLOW_LETTER_FONTS = {
    style: (env_str(f"LETTER_FONT_{style.upper()}") or "").strip()
    for style in ("title", "body", "hei", "kai")
}

# Celery: broker from CELERY_BROKER_URL (make run / make test pass their own Redis),
# else the file broker under var/ (a separate worker still runs).
CELERY_BROKER_URL, CELERY_BROKER_TRANSPORT_OPTIONS = broker_from_env("CELERY_BROKER_URL", VAR_DIR)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or (
    CELERY_BROKER_URL
    if CELERY_BROKER_URL.startswith("redis")
    else f"file://{VAR_DIR / 'celery' / 'results'}"
)
if CELERY_RESULT_BACKEND.startswith("file://"):
    (VAR_DIR / "celery" / "results").mkdir(parents=True, exist_ok=True)
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The transactional outbox (grants.outbox): swept this often; a message handed over this
# long ago and not done is handed over again (longer than any task's hard time limit).
FUNDFLOW_OUTBOX_SWEEP_SECONDS = env_int("FUNDFLOW_OUTBOX_SWEEP_SECONDS", 30, minimum=5)
FUNDFLOW_OUTBOX_STALE_SECONDS = env_int("FUNDFLOW_OUTBOX_STALE_SECONDS", 120, minimum=5)
# Deadlines live in the database (viewflow Timer tasks); beat only sweeps them.
CELERY_BEAT_SCHEDULE = {
    "outbox": {"task": "grants.outbox_sweep", "schedule": FUNDFLOW_OUTBOX_SWEEP_SECONDS},
    # seal the audit entries into the signed chain (a short lock of the sealer's own)
    "audit-seal": {
        "task": "grants.audit_seal",
        "schedule": env_int("FUNDFLOW_AUDIT_SEAL_SECONDS", 10, minimum=1),
    },
    "letters-pending": {"task": "letters.sweep_pending", "schedule": 60},
    "review-deadlines": {
        "task": "workflows.fire_timers",
        "schedule": env_int("FUNDFLOW_TIMER_SWEEP_SECONDS", 60, minimum=5),
    },
    # both are idempotent: hourly means "on the day", whenever the scheduler restarts
    "agency-qualifications": {"task": "agencies.check_qualifications", "schedule": 3600},
    "voucher-expiry": {"task": "agencies.expire_vouchers", "schedule": 3600},
    # Milestones past their due date are escalated once; hourly is plenty. The task lives in
    # milestones.tasks and keeps the name it had when milestones were navigation's.
    "navigation-overdue-milestones": {"task": "navigation.milestones_overdue", "schedule": 3600},
    # ended API tokens and login records past their retention (LOGIN_LOG_DAYS)
    "accounts-prune": {"task": "accounts.prune", "schedule": 24 * 3600},
}

# ---------------------------------------------------------------- HTTPS and headers
# Production (DEBUG off) defaults to Secure cookies; HTTPS redirect and HSTS are switched on
# from the environment (a TLS proxy in front needs USE_X_FORWARDED_PROTO=1 as well, else the
# redirect loops). README "Production" lists the values with which `check --deploy` is silent.
PRODUCTION = not (DEBUG or TESTING)
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", PRODUCTION)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("USE_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies in front append to X-Forwarded-For: the client address for login
# limits is the one the outermost of ours saw. 0 (default): REMOTE_ADDR, the header is ignored.
FUNDFLOW_TRUSTED_PROXIES = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

# Content-Security-Policy (django-csp) on every HTML page, with no inline script or style:
# pages load their scripts and styles from /static/. Swagger UI and the admin pass as well.
_CSP = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    }
}
if env_bool("CSP_REPORT_ONLY", False):  # to try a change of policy on a live site first
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP
else:
    CONTENT_SECURITY_POLICY = _CSP

# ---------------------------------------------------------------- sessions
# A web session ends after this long without a request (the expiry is pushed at most once a
# minute by accounts.middleware.SessionIdleMiddleware).
FUNDFLOW_SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30, minimum=2)
SESSION_COOKIE_AGE = FUNDFLOW_SESSION_IDLE_MINUTES * 60

# ---------------------------------------------------------------- login limits (django-axes)
# Only failed attempts count; the state lives in the database (axes' tables).
# - one user from one address: LOGIN_FAILURE_LIMIT failures lock that user out for
#   LOGIN_LOCKOUT_MINUTES (from that address);
# - one user from any address: LOGIN_USER_FAILURE_LIMIT failures lock the user out everywhere;
# - one address, any users: more than LOGIN_ADDRESS_FAILURE_LIMIT failures in
#   LOGIN_ADDRESS_WINDOW_MINUTES slow that address down (refused until the window slides),
#   never a lockout: a whole bureau behind one NAT is not locked out by one person.
# Administrators unlock in the admin (Users → "Unlock login", or Access attempts).
FUNDFLOW_LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 20, minimum=3)
FUNDFLOW_LOGIN_USER_FAILURE_LIMIT = env_int("LOGIN_USER_FAILURE_LIMIT", 100, minimum=3)
FUNDFLOW_LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 100, minimum=3)
FUNDFLOW_LOGIN_ADDRESS_WINDOW_MINUTES = env_int("LOGIN_ADDRESS_WINDOW_MINUTES", 10, minimum=1)
FUNDFLOW_LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 30, minimum=1)
if FUNDFLOW_LOGIN_USER_FAILURE_LIMIT < FUNDFLOW_LOGIN_FAILURE_LIMIT:
    raise ImproperlyConfigured(
        "LOGIN_USER_FAILURE_LIMIT must be at least LOGIN_FAILURE_LIMIT "
        "(a user from any address is allowed at least what one address is)"
    )
AXES_ENABLED = True
AXES_FAILURE_LIMIT = "accounts.limits.failure_limit"
AXES_COOLOFF_TIME = "accounts.limits.cool_off"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_HANDLER = "accounts.limits.LoginLimitHandler"
AXES_CLIENT_IP_CALLABLE = "accounts.limits.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout_response"
AXES_RESET_ON_SUCCESS = True
# Attempts refused during a lockout are not counted: the lockout ends on time, and a throttled
# address recovers as its window slides.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_SENSITIVE_PARAMETERS = ["password", "otp", "token", "csrfmiddlewaretoken"]
AXES_VERBOSE = False

# ---------------------------------------------------------------- second factor (django-otp)
# Reviewers, finance, auditors and administrators need a TOTP code after their password, at
# the web login and for an API token (grants.second_factor). On by default in production,
# off with DEBUG (make run, the demo) and in the test suite unless a test turns it on.
FUNDFLOW_STAFF_2FA = env_bool("STAFF_2FA", PRODUCTION)
OTP_TOTP_ISSUER = env_str("TOTP_ISSUER", "fundflow")

# Demo accounts (seed_demo) carry a well-known password: refused when DEBUG is off.
FUNDFLOW_ALLOW_DEMO_LOGIN = env_bool("FUNDFLOW_ALLOW_DEMO_LOGIN", DEBUG or TESTING)

# ---------------------------------------------------------------- API tokens
# The longest life of a token, and how long it may go unused (sliding: each use pushes it).
FUNDFLOW_TOKEN_TTL_HOURS = env_int("FUNDFLOW_TOKEN_TTL_HOURS", 24 * 7, minimum=1)
FUNDFLOW_TOKEN_IDLE_HOURS = env_int("FUNDFLOW_TOKEN_IDLE_HOURS", 8, minimum=1)
if FUNDFLOW_TOKEN_IDLE_HOURS > FUNDFLOW_TOKEN_TTL_HOURS:
    raise ImproperlyConfigured("FUNDFLOW_TOKEN_IDLE_HOURS must not exceed FUNDFLOW_TOKEN_TTL_HOURS")

# ---------------------------------------------------------------- retention and backups
# Login records (axes' access and failure logs) are deleted after this many days (daily beat);
# China's Cybersecurity Law (art. 21) asks for network logs of at least six months.
FUNDFLOW_LOGIN_LOG_DAYS = env_int("LOGIN_LOG_DAYS", 190, minimum=180)
FUNDFLOW_BACKUP_DIR = Path(env_str("BACKUP_DIR") or VAR_DIR / "backups")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # each failed login and lockout is a WARNING; axes' INFO lines are noise
        "axes": {"level": "WARNING"},
    },
}

NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 200

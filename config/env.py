"""Reading settings from the environment, failing loudly and naming the variable.

Every reader raises ``ImproperlyConfigured`` with the variable's name and what
was wrong, so a bad value stops the process at start, never later.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from dj_database_url import DBConfig

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no or on/off"
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_timezone(name: str, default: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    value = os.environ.get(name) or default
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(
            f"{name}={value!r} is not an IANA time zone such as Asia/Urumqi"
        ) from None
    return value


def database_from_env(name: str, default_sqlite_path: Path) -> DBConfig:
    """DATABASE_URL → a Django DATABASES entry.

    SQLite gets WAL and ``transaction_mode: IMMEDIATE`` so that concurrent
    writers queue instead of failing with "database is locked".
    """
    import dj_database_url

    raw = os.environ.get(name)
    if not raw:
        default_sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        raw = f"sqlite:///{default_sqlite_path}"
    try:
        config = dj_database_url.parse(raw, conn_max_age=0)
    except Exception as exc:  # dj_database_url raises several types for bad URLs
        raise ImproperlyConfigured(
            f"{name} is not a usable database URL ({exc}); "
            "examples: postgres://user:pass@127.0.0.1:5432/fundflow or sqlite:///var/fundflow.sqlite3"
        ) from None
    engine = config.get("ENGINE", "")
    if engine.endswith("sqlite3"):
        config.setdefault("OPTIONS", {}).update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                ),
            }
        )
    elif engine.endswith("postgresql"):
        config["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
        config["CONN_HEALTH_CHECKS"] = True
        # A waiting row lock (a reviewer behind another) gives up after this, instead of hanging.
        lock_ms = env_int("DATABASE_LOCK_TIMEOUT_MS", 15000, minimum=100)
        config.setdefault("OPTIONS", {})["options"] = f"-c lock_timeout={lock_ms}"
    else:
        raise ImproperlyConfigured(
            f"{name} must point at PostgreSQL or SQLite, not {engine or raw!r}"
        )
    return config


def broker_from_env(name: str, var_dir: Path) -> tuple[str, dict]:
    """CELERY_BROKER_URL, else a file broker under ``var/``.

    Never a Redis that happens to answer on localhost: it may belong to another
    instance, whose workers would take our tasks. ``make run`` and ``make test``
    start their own Redis (``scripts/services.sh``) and pass its URL. The file broker
    (kombu's filesystem transport) needs no server and still lets a separate worker
    process consume what the web process sends.
    """
    raw = os.environ.get(name)
    if raw:
        scheme = urlsplit(raw).scheme
        if scheme not in {
            "redis",
            "rediss",
            "redis+socket",
            "filesystem",
            "memory",
            "amqp",
            "sqla+sqlite",
        }:
            raise ImproperlyConfigured(
                f"{name}={raw!r}: unsupported scheme {scheme!r}; use redis://host:6379/0"
            )
        url = raw
    else:
        url = "filesystem://"
    options: dict = {}
    if url.startswith("filesystem"):
        folder = var_dir / "celery" / "queue"
        processed = var_dir / "celery" / "processed"
        folder.mkdir(parents=True, exist_ok=True)
        processed.mkdir(parents=True, exist_ok=True)
        control = var_dir / "celery" / "control"
        control.mkdir(parents=True, exist_ok=True)
        options = {
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "processed_folder": str(processed),
            "store_processed": False,
            # kombu writes its broadcast exchanges here (by default: ./control in the cwd)
            "control_folder": str(control),
        }
    elif url.startswith("redis"):
        # Tasks not acknowledged within this time are redelivered (acks_late tasks).
        options = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=60)}
    return url, options


def email_from_env(name: str) -> dict:
    """EMAIL_URL → Django e-mail settings.

    ``console://`` (default), ``locmem://``, ``file:///path``,
    ``smtp://user:password@host:587?tls=1`` or ``smtps://...`` (SSL).
    """
    raw = os.environ.get(name) or "console://"
    parts = urlsplit(raw)
    backends = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "file": "django.core.mail.backends.filebased.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "smtps": "django.core.mail.backends.smtp.EmailBackend",
    }
    if parts.scheme not in backends:
        raise ImproperlyConfigured(
            f"{name}={raw!r}: unknown scheme {parts.scheme!r}; use one of {', '.join(sorted(backends))}"
        )
    result: dict = {"EMAIL_BACKEND": backends[parts.scheme]}
    if parts.scheme == "file":
        result["EMAIL_FILE_PATH"] = parts.path or "var/mail"
    if parts.scheme in {"smtp", "smtps"}:
        if not parts.hostname:
            raise ImproperlyConfigured(f"{name}={raw!r}: an SMTP URL needs a host")
        query = parse_qs(parts.query)
        try:
            port = parts.port or (465 if parts.scheme == "smtps" else 25)
        except ValueError:
            raise ImproperlyConfigured(f"{name}={raw!r}: the port is not a number") from None
        result.update(
            EMAIL_HOST=parts.hostname,
            EMAIL_PORT=port,
            EMAIL_HOST_USER=unquote(parts.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
            EMAIL_USE_SSL=parts.scheme == "smtps",
            EMAIL_USE_TLS=query.get("tls", ["0"])[0].lower() in TRUE,
        )
    return result


# S3 bucket names: 3–63 lower-case letters, digits, dots and hyphens, starting and ending
# with a letter or digit (the rule AWS, MinIO and the Chinese clouds share).
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
S3_OPTIONS = {"endpoint", "region", "addressing", "acl"}


def storage_from_env(name: str) -> dict:
    """FILE_STORAGE_URL → the ``default`` entry of Django's ``STORAGES``: where attachments
    (``attachments/…``) and letters (``letters/…``) are kept.

    - unset, empty or ``file://``: the file system under ``MEDIA_ROOT`` (the embedded default);
    - ``s3://BUCKET[/PREFIX]?endpoint=URL&region=NAME&addressing=path|virtual|auto&acl=private|none``:
      an S3-compatible object store through django-storages' ``S3Storage``. ``endpoint`` is
      needed for anything but AWS (MinIO, Ceph, a cloud's own S3 endpoint); ``addressing``
      defaults to ``path`` when an endpoint is given (what most self-hosted servers want);
      objects are written ``private`` (``acl=none`` sends no ACL, for stores that refuse one
      and rely on the bucket policy). Credentials come from ``S3_ACCESS_KEY_ID`` and
      ``S3_SECRET_ACCESS_KEY`` (both or neither); without them boto3's own chain
      (``AWS_ACCESS_KEY_ID``…, ``AWS_PROFILE``, an instance role).

    Downloads are streamed by our permission-checked views, never a bucket URL: no query-string
    signing (``url()`` of a private object gives an address that answers 403).
    """
    raw = (os.environ.get(name) or "").strip()
    if raw in {"", "file://"}:
        # no location: it follows MEDIA_ROOT (and a test's override of it)
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    parts = urlsplit(raw)
    if parts.scheme == "file":
        raise ImproperlyConfigured(
            f"{name}={raw!r}: use file:// without a path; MEDIA_ROOT says where the files go"
        )
    if parts.scheme != "s3":
        raise ImproperlyConfigured(
            f"{name}={raw!r}: unsupported scheme {parts.scheme!r}; use file:// (the default) "
            "or s3://bucket?endpoint=https://s3.example.com&region=cn-north-1"
        )
    if parts.username or parts.password or parts.port:
        raise ImproperlyConfigured(
            f"{name}: s3://BUCKET takes no user, password or port; put the credentials in "
            "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY and the server in ?endpoint="
        )
    bucket = parts.netloc
    if not BUCKET_NAME.match(bucket) or ".." in bucket:
        raise ImproperlyConfigured(
            f"{name}={raw!r}: {bucket!r} is not a bucket name "
            "(3–63 lower-case letters, digits, dots and hyphens)"
        )
    prefix = parts.path.strip("/")
    if prefix and any(segment in {"", ".", ".."} for segment in prefix.split("/")):
        raise ImproperlyConfigured(f"{name}={raw!r}: the prefix {prefix!r} is not a clean path")
    try:
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: the query is not key=value&…") from None
    unknown = set(query) - S3_OPTIONS
    if unknown:
        raise ImproperlyConfigured(
            f"{name}={raw!r}: unknown option(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(S3_OPTIONS))}"
        )
    repeated = sorted(key for key, values in query.items() if len(values) > 1)
    if repeated:
        raise ImproperlyConfigured(f"{name}={raw!r}: {', '.join(repeated)} given twice")
    option = {key: values[0].strip() for key, values in query.items()}

    endpoint = option.get("endpoint") or None
    if endpoint is not None:
        where = urlsplit(endpoint)
        if where.scheme not in {"http", "https"} or not where.hostname:
            raise ImproperlyConfigured(
                f"{name}: endpoint={endpoint!r} is not an http(s) URL such as http://127.0.0.1:9000"
            )
    addressing = option.get("addressing") or ("path" if endpoint else "auto")
    if addressing not in {"path", "virtual", "auto"}:
        raise ImproperlyConfigured(f"{name}: addressing={addressing!r}; use path, virtual or auto")
    acl = option.get("acl", "private") or "private"
    if acl not in {"private", "none"}:
        raise ImproperlyConfigured(
            f"{name}: acl={acl!r}; use private (the default) or none (no ACL header sent)"
        )
    region = option.get("region") or None
    if region is not None and not re.fullmatch(r"[a-z0-9-]{2,40}", region):
        raise ImproperlyConfigured(f"{name}: region={region!r} is not a region name")

    key_id = (os.environ.get("S3_ACCESS_KEY_ID") or "").strip()
    secret = (os.environ.get("S3_SECRET_ACCESS_KEY") or "").strip()
    if bool(key_id) != bool(secret):
        missing = "S3_SECRET_ACCESS_KEY" if key_id else "S3_ACCESS_KEY_ID"
        raise ImproperlyConfigured(
            f"{missing} is missing: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together "
            "(or set neither, for boto3's own credentials chain)"
        )

    from botocore.config import Config

    options: dict = {
        "bucket_name": bucket,
        "location": prefix,
        "endpoint_url": endpoint,
        "region_name": region,
        "default_acl": "private" if acl == "private" else None,
        # our views stream the object; a bucket URL would bypass the permission check
        "querystring_auth": False,
        # evidence is never replaced: names are generated, a clash gets another name
        "file_overwrite": False,
        # a download larger than an upload kept in memory spools to a temporary file
        "max_memory_size": 2_621_440,
        "client_config": Config(
            s3={"addressing_style": addressing},
            connect_timeout=5,
            read_timeout=60,
            retries={"max_attempts": 4, "mode": "standard"},
            # Checksums only where S3 requires them: several S3-compatible servers refuse the
            # newer default ones; each file's SHA-256 is in the database and is what we check.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    }
    if key_id:
        options.update(access_key=key_id, secret_key=secret)
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


def signing_keys_from_env() -> dict[str, dict[str, str | None]]:
    """Letter signing keys: ``LETTER_SIGNING_KEY``/``_CERT`` (name "") and any
    ``LETTER_SIGNING_KEY_<NAME>``/``LETTER_SIGNING_CERT_<NAME>`` pair (name NAME), each with
    an optional ``LETTER_SIGNING_CHAIN[_<NAME>]`` and ``LETTER_SIGNING_KEY_PASSWORD[_<NAME>]``.
    A key without its certificate, or a file that is not there, stops the process."""
    names = {""}
    for variable in os.environ:
        for head in ("LETTER_SIGNING_KEY_", "LETTER_SIGNING_CERT_"):
            if variable.startswith(head) and not variable.startswith("LETTER_SIGNING_KEY_PASSWORD"):
                names.add(variable[len(head) :])
    keys: dict[str, dict[str, str | None]] = {}
    for name in sorted(names):
        suffix = f"_{name}" if name else ""
        key = os.environ.get(f"LETTER_SIGNING_KEY{suffix}", "").strip()
        cert = os.environ.get(f"LETTER_SIGNING_CERT{suffix}", "").strip()
        chain = os.environ.get(f"LETTER_SIGNING_CHAIN{suffix}", "").strip() or None
        if not key and not cert:
            continue
        if not (key and cert):
            raise ImproperlyConfigured(
                f"LETTER_SIGNING_KEY{suffix} and LETTER_SIGNING_CERT{suffix} go together"
            )
        for variable, path in (
            (f"LETTER_SIGNING_KEY{suffix}", key),
            (f"LETTER_SIGNING_CERT{suffix}", cert),
            (f"LETTER_SIGNING_CHAIN{suffix}", chain),
        ):
            if path and not os.path.isfile(path):
                raise ImproperlyConfigured(f"{variable}={path!r}: no such file")
        keys[name] = {
            "key": key,
            "cert": cert,
            "chain": chain,
            "password": os.environ.get(f"LETTER_SIGNING_KEY_PASSWORD{suffix}") or None,
        }
    return keys

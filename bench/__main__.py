"""Run every benchmark on a throw-away database and write var/bench/results.json.

The database is a test database made from ``DATABASE_URL`` (migrated, then dropped at the
end), named after this checkout so that two checkouts benchmarking at once on one
PostgreSQL never drop each other's; on SQLite it is a file under ``var/bench/`` (not
in memory), so the processes ``bench.load`` starts share it.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import inspect
import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

# bench.scale and bench.review first: they measure at small sizes before growing the data,
# and take their bulk rows away again, so every later module finds a small database.
MODULES = [
    "bench.scale",
    "bench.review",
    "bench.api",
    "bench.load",
    "bench.rules",
    "bench.finance",
    "bench.letters",
]
ROOT = Path(__file__).resolve().parent.parent


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _test_database(settings_dict: dict, var_dir: Path) -> None:
    """Name the throw-away database: per checkout on PostgreSQL, a file on SQLite."""
    test = settings_dict.setdefault("TEST", {})
    if settings_dict["ENGINE"].endswith("sqlite3"):
        test["NAME"] = str(var_dir / "bench" / "bench.sqlite3")
    else:
        checkout = hashlib.sha1(str(ROOT).encode()).hexdigest()[:8]
        test["NAME"] = f"test_{settings_dict['NAME']}_bench_{checkout}"[:63]


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "--only", action="append", help="run only these modules, e.g. --only bench.api"
    )
    parser.add_argument("--out", default=None, help="results file (default var/bench/results.json)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes and short phases: checks that every module runs, figures meaningless",
    )
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ.setdefault("FUNDFLOW_TESTING", "1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django
    from django.conf import settings

    django.setup()
    if "bench.peer" not in settings.INSTALLED_APPS:
        parser.error(
            "the settings must install bench.peer: use DJANGO_SETTINGS_MODULE=bench.settings"
        )
    from django.db import connection
    from django.test.utils import override_settings, setup_test_environment

    from bench.common import Figure

    setup_test_environment()
    out = Path(args.out or settings.VAR_DIR / "bench" / "results.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    figures = []
    _test_database(connection.settings_dict, Path(settings.VAR_DIR))
    db_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    engine = connection.vendor
    _log(f"test database {db_name} ready after {time.perf_counter() - started:.0f} s")
    timings: list[str] = []
    failed: list[str] = []
    try:
        with (
            tempfile.TemporaryDirectory() as media,
            override_settings(MEDIA_ROOT=media, ALLOWED_HOSTS=["*"]),
        ):
            for name in args.only or MODULES:
                module_started = time.perf_counter()
                try:
                    module = importlib.import_module(name)
                    options = {}
                    if args.quick and "quick" in inspect.signature(module.run).parameters:
                        options["quick"] = True
                    module_figures = list(module.run(**options))
                except Exception:  # the other modules' figures are still written
                    traceback.print_exc()
                    failed.append(name)
                    _log(f"{name} FAILED; going on with the next module")
                    continue
                for figure in module_figures:
                    figure.notes = f"{figure.notes} [{engine}]"
                    figures.append(figure.as_dict())
                    print(
                        f"{figure.name:32} {figure.value:>10} {figure.unit:6} baseline {figure.baseline} "
                        f"ratio {figure.ratio}",
                        flush=True,
                    )
                seconds = time.perf_counter() - module_started
                timings.append(f"{name.removeprefix('bench.')} {seconds:.0f} s")
                _log(f"{name} done in {seconds:.0f} s")
    finally:
        connection.creation.destroy_test_db(db_name, verbosity=0)
    wall = time.perf_counter() - started
    figure = Figure(
        "bench.wall_s",
        wall,
        "s",
        None,
        f"python -m bench from start to results ({', '.join(timings)}; the rest: creating and "
        f"dropping the test database); budget: 1800 s for the whole make bench on 2 cores "
        f"(this machine: {os.cpu_count()} cores) [{engine}]",
    )
    figures.append(figure.as_dict())
    print(f"{figure.name:32} {figure.value:>10} {figure.unit:6}", flush=True)
    out.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    if failed:
        _log(f"FAILED: {', '.join(failed)} (traceback above); their figures are missing")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

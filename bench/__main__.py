"""Run every benchmark on a throw-away database and write var/bench/results.json."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
from pathlib import Path

MODULES = ["bench.api", "bench.review", "bench.rules", "bench.finance", "bench.letters"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "--only", action="append", help="run only these modules, e.g. --only bench.api"
    )
    parser.add_argument("--out", default=None, help="results file (default var/bench/results.json)")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    os.environ.setdefault("FUNDFLOW_TESTING", "1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django
    from django.conf import settings

    django.setup()
    from django.db import connection
    from django.test.utils import override_settings, setup_test_environment

    setup_test_environment()
    out = Path(args.out or settings.VAR_DIR / "bench" / "results.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    figures = []
    db_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    engine = connection.vendor
    try:
        with (
            tempfile.TemporaryDirectory() as media,
            override_settings(MEDIA_ROOT=media, ROOT_URLCONF="bench.urls", ALLOWED_HOSTS=["*"]),
        ):
            for name in args.only or MODULES:
                module = importlib.import_module(name)
                for figure in module.run():
                    figure.notes = f"{figure.notes} [{engine}]"
                    figures.append(figure.as_dict())
                    print(
                        f"{figure.name:32} {figure.value:>10} {figure.unit:6} baseline {figure.baseline} "
                        f"ratio {figure.ratio}",
                        flush=True,
                    )
    finally:
        connection.creation.destroy_test_db(db_name, verbosity=0)
    out.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

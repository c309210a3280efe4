"""What the tests and the benchmarks share: one way of building data.

- ``personas``: the demo accounts (``demo.seed``), one named persona per role;
- ``clients``: an API client per persona (bearer token) and a logged-in web client;
- ``documents``: valid documents (PDF bytes, 统一社会信用代码, certificate fields);
- ``factories``: factory_boy factories for organisations, programmes, budgets and
  applications (draft, submitted, decided through a chain);
- ``claims``: a claim through the API, step by step (register, create, attach, decide);
- ``pages``: checks on rendered pages (no foreign URL, redirects followed);
- one module per app's own helpers (``finance``, ``letters``, ``navigation``,
  ``rules``, ``vouchers``) and ``browser`` (Chromium) for the Playwright tests.

Plain modules, no pytest fixtures (those live in ``tests/conftest.py``), so that
``bench/`` and a ``manage.py shell`` script can import them.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository: manage.py, locale/, var/

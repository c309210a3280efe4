"""HTML → PDF with WeasyPrint, warm and safe.

One ``FontConfiguration`` and one pre-parsed stylesheet per process (fonts
are registered with fontconfig once, CSS is parsed once). The cut-down
letter font comes first in the ``font-family`` stack, the full Noto Serif
CJK SC behind it (see ``letters.fonts``).

Applicant-typed text ends up in this HTML (escaped by the template engine),
so resources are fetched only through ``StaticOnlyFetcher``: the project's
own static files and the cut fonts, by the ``fundflow:`` pseudo-scheme, and
the QR code of a verification code (``fundflow:qr/<code>``, drawn here from
our own verification URL, never from applicant text). ``file://``, ``http(s)://``, ``data:`` and everything else are refused
without touching the disk or the network.
"""

from __future__ import annotations

import logging
import mimetypes
import threading
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from letters import fonts
from letters.qr import QR_PREFIX, qr_png

logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # one line per step otherwise

SCHEME = "fundflow:"
STYLESHEET = "letters/letter.css"


class RefusedResource(ValueError):
    """A letter asked for something outside the project's own static assets."""


class StaticOnlyFetcher(URLFetcher):
    """Serves ``fundflow:static/<path>`` (static files) and ``fundflow:fonts/<name>``; refuses the rest.

    WeasyPrint (>= 68) calls ``fetch``; urllib's openers (file, http, ftp,
    data handlers of the parent class) are never reached.
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols=(), allow_redirects=False, timeout=1)

    def fetch(self, url, headers=None):
        if url.startswith(QR_PREFIX):
            try:
                png = qr_png(url[len(QR_PREFIX) :])
            except ValueError as error:
                raise RefusedResource(f"refused: {error}") from error
            return URLFetcherResponse(url, png, {"Content-Type": "image/png"})
        path = resolve(url)
        mime = "font/otf" if path.suffix == ".otf" else mimetypes.guess_type(path.name)[0]
        return URLFetcherResponse(
            url, path.read_bytes(), {"Content-Type": mime or "application/octet-stream"}
        )


def resolve(url: str) -> Path:
    """The file behind an allowed URL, or ``RefusedResource``; never leaves the allowed folders."""
    if not url.startswith(SCHEME):
        raise RefusedResource(f"refused: {url[:80]!r} is not one of the project's static assets")
    rest = url[len(SCHEME) :].split("?", 1)[0].split("#", 1)[0].lstrip("/")
    kind, _sep, name = rest.partition("/")
    if not name or "\\" in name or any(part in ("", ".", "..") for part in name.split("/")):
        raise RefusedResource(f"refused: {url[:80]!r}")
    if kind == "fonts":
        root = fonts.font_dir().resolve()
        path = (root / name).resolve()
    elif kind == "static":
        found = finders.find(name)
        if not found:
            raise RefusedResource(f"refused: no static file {name!r}")
        path = Path(found).resolve()
        static_root = next(
            (
                Path(d).resolve()
                for d in [*settings.STATICFILES_DIRS, settings.STATIC_ROOT]
                if path.is_relative_to(Path(d).resolve())
            ),
            None,
        )
        if static_root is None:
            raise RefusedResource(f"refused: {name!r} is outside the project's static folders")
        root = static_root
    else:
        raise RefusedResource(f"refused: {url[:80]!r}")
    if not path.is_relative_to(root) or not path.is_file():
        raise RefusedResource(f"refused: {url[:80]!r}")
    return path


def font_face_css() -> str:
    """@font-face rules for the cut-down fonts that exist (none: the stack falls to full Noto)."""
    rules = []
    for weight, path in sorted(fonts.ensure_fonts().items()):
        rules.append(
            f'@font-face {{ font-family: "{fonts.FAMILY}"; font-weight: {weight}; '
            f'src: url("{SCHEME}fonts/{path.name}"); }}'
        )
    return "\n".join(rules)


class Renderer:
    """A warm renderer: reuse one per process (``renderer()``)."""

    def __init__(self) -> None:
        self.fetcher = StaticOnlyFetcher()
        self.font_config = FontConfiguration()
        css_path = resolve(f"{SCHEME}static/{STYLESHEET}")
        self.stylesheet = CSS(
            string=font_face_css() + "\n" + css_path.read_text(encoding="utf-8"),
            font_config=self.font_config,
            url_fetcher=self.fetcher,
        )
        self.lock = threading.Lock()  # WeasyPrint/fontconfig state is not shared across threads

    def render(self, html: str) -> bytes:
        with self.lock:
            document = HTML(string=html, url_fetcher=self.fetcher, base_url=None)
            return document.write_pdf(
                stylesheets=[self.stylesheet],
                font_config=self.font_config,
                uncompressed_pdf=False,
            )


_renderer: Renderer | None = None
_renderer_lock = threading.Lock()


def renderer() -> Renderer:
    global _renderer
    if _renderer is None:
        with _renderer_lock:
            if _renderer is None:
                _renderer = Renderer()
    return _renderer


def render_pdf(html: str) -> bytes:
    return renderer().render(html)

"""HTML → PDF/A-3b with WeasyPrint, warm and safe.

One ``FontConfiguration`` and one pre-parsed stylesheet per process (fonts
are registered with fontconfig once, CSS is parsed once). Each letter style
(title, body, 黑体 and 楷体 headings) has its cut-down free face first in its
``font-family`` stack and the full face behind it (see ``letters.fonts``); an
administrator may put a licensed face in front (``LETTER_FONT_<STYLE>``).
``render_letter`` also reports where the template put the seal (the element
``#seal``), for the signature's widget (``letters.signing``).

Applicant-typed text ends up in this HTML (escaped by the template engine),
so resources are fetched only through ``StaticOnlyFetcher``: the project's
own static files and the cut fonts, by the ``fundflow:`` pseudo-scheme, the
licensed font files an administrator configured (``fundflow:licensed/<style>``),
and the QR code of a verification code (``fundflow:qr/<code>``, drawn here from
our own verification URL, never from applicant text). ``file://``, ``http(s)://``,
``data:`` and everything else are refused without touching the disk or the network.
"""

from __future__ import annotations

import logging
import mimetypes
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
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
        fonts_ = {".otf": "font/otf", ".ttf": "font/ttf", ".ttc": "font/collection"}
        mime = fonts_.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
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
    elif kind == "licensed":  # exactly the files an administrator configured, nothing else
        configured = licensed_fonts().get(name)
        if configured is None:
            raise RefusedResource(f"refused: no licensed font for {name!r}")
        path = configured.resolve()
        root = path.parent
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


# The letter styles of GB/T 9704 (see ``letters.fonts``): the elements each one sets, and
# the free faces behind a configured licensed one, so no character is ever a box.
STYLES = {
    "body": ("html", "400", '"Fundflow Serif", "Noto Serif CJK SC", "WenQuanYi Micro Hei", serif'),
    "title": (
        ".mark, h1",
        "700",
        '"Fundflow Serif", "Noto Serif CJK SC", "WenQuanYi Micro Hei", serif',
    ),
    "hei": (
        "h2, .hei",
        "400",
        '"Fundflow Sans", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif',
    ),
    "kai": (
        "h3, .kai",
        "400",
        '"Fundflow Kai", "AR PL KaitiM GB", "AR PL UKai CN", "Fundflow Serif", "Noto Serif CJK SC", serif',
    ),
}
FONT_SUFFIXES = (".otf", ".ttf", ".ttc", ".woff", ".woff2")


def licensed_fonts() -> dict[str, Path]:
    """The font files an administrator configured (``LETTER_FONT_<STYLE>=/path/to/face.ttf``)."""
    found = {}
    for style, value in settings.FUNDFLOW_LETTER_FONTS.items():
        if value and value.lower().endswith(FONT_SUFFIXES):
            path = Path(value)
            if not path.is_file():
                raise ImproperlyConfigured(f"LETTER_FONT_{style.upper()}={value!r}: no such file")
            found[style] = path
    return found


def font_face_css() -> str:
    """@font-face rules for the cut faces that exist (a missing one falls to the full face),
    the configured licensed faces, and each style's ``font-family`` stack."""
    rules = []
    for key, path in sorted(fonts.ensure_fonts().items()):
        face = fonts.FACES[key]
        rules.append(
            f'@font-face {{ font-family: "{face.family}"; font-weight: {face.weight}; '
            f'src: url("{SCHEME}fonts/{path.name}"); }}'
        )
    files = licensed_fonts()
    for style in files:
        rules.append(
            f'@font-face {{ font-family: "Letter {style}"; src: url("{SCHEME}licensed/{style}"); }}'
        )
    for style, (selectors, weight, stack) in STYLES.items():
        configured = settings.FUNDFLOW_LETTER_FONTS.get(style, "")
        if style in files:
            stack, weight = f'"Letter {style}", {stack}', "400"
        elif configured:  # a family fontconfig knows, e.g. FZXiaoBiaoSong-B05S
            family = configured.replace('"', "").replace("\\", "")
            stack, weight = f'"{family}", {stack}', "400"
        rules.append(f"{selectors} {{ font-family: {stack}; font-weight: {weight}; }}")
    return "\n".join(rules)


@dataclass(frozen=True)
class Rendered:
    """A rendered letter: the PDF/A bytes and where its seal goes (for the signature)."""

    pdf: bytes
    pages: int
    seal_page: int | None = None
    # PDF points, lower-left origin: (x1, y1, x2, y2)
    seal_box: tuple[float, float, float, float] | None = None


PX_TO_PT = 0.75
SEAL_ANCHOR = "seal"
PDF_VARIANT = "pdf/a-3b"


class Renderer:
    """A warm renderer: reuse one per process (``renderer()``)."""

    def __init__(self) -> None:
        self.fetcher = StaticOnlyFetcher()
        self.font_config = FontConfiguration()
        css_path = resolve(f"{SCHEME}static/{STYLESHEET}")
        self.stylesheet = CSS(
            string=css_path.read_text(encoding="utf-8") + "\n" + font_face_css(),
            font_config=self.font_config,
            url_fetcher=self.fetcher,
        )
        self.lock = threading.Lock()  # WeasyPrint/fontconfig state is not shared across threads

    def render_letter(self, html: str) -> Rendered:
        """PDF/A-3b bytes, with the page and box of the element ``#seal`` if there is one."""
        with self.lock:
            document = HTML(string=html, url_fetcher=self.fetcher, base_url=None).render(
                stylesheets=[self.stylesheet],
                font_config=self.font_config,
                pdf_variant=PDF_VARIANT,
            )
            seal_page = seal_box = None
            for index, page in enumerate(document.pages):
                if SEAL_ANCHOR in page.anchors:
                    x1, y1, x2, y2 = page.anchors[SEAL_ANCHOR]
                    height = page.height * PX_TO_PT
                    seal_page = index
                    seal_box = (
                        x1 * PX_TO_PT,
                        height - y2 * PX_TO_PT,
                        x2 * PX_TO_PT,
                        height - y1 * PX_TO_PT,
                    )
                    break
            pdf = document.write_pdf(pdf_variant=PDF_VARIANT, uncompressed_pdf=False)
        return Rendered(pdf, len(document.pages), seal_page, seal_box)

    def render(self, html: str) -> bytes:
        return self.render_letter(html).pdf


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


def render_letter(html: str) -> Rendered:
    return renderer().render_letter(html)

"""The cut-down letter font: Noto Serif CJK SC reduced once to GB 2312 + ASCII + punctuation.

WeasyPrint embeds a subset of every font a letter uses. Subsetting the full
Noto CJK face (65,000 glyphs) for each letter costs most of the render time;
a face already reduced to the ~7,500 characters of GB 2312 plus ASCII and CJK
punctuation is subset in a few milliseconds. It is built once (``manage.py
letters_fonts``, run by ``scripts/setup.sh``, or on first use) under
``var/fonts/``. Characters outside it (rare name characters such as 堃, 䶮)
fall through to the full Noto font, which stays behind it in the
``font-family`` stack, so no character is ever drawn as a box.

The glyphs are then put in an order of use: ASCII and punctuation, GB 2312's
level 1 (the 3,755 common characters), then level 2. WeasyPrint's subset keeps
every glyph id below the highest one a letter uses (empty, but each costs its
metrics and index entries), so a letter in common characters embeds about 4,500
glyph slots instead of 7,600: 9 KB less per PDF and a faster subset.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from django.conf import settings

log = logging.getLogger(__name__)

FAMILY = "Fundflow Serif"
# Regular only. A bold face would be a second embedded subset (about 30 KB for a title's
# worth of glyphs, because the subset keeps every glyph id below the highest one used).
# Letters set headings by size and colour; bold text, if a template asks for it, falls to
# the full Noto Serif CJK SC Bold, correct but slower.
SOURCES = {
    400: [
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
        "/usr/share/fonts/noto-cjk/NotoSerifCJK-Regular.ttc",
    ],
}
SC_NAME = "Noto Serif CJK SC"
FORMAT_VERSION = 3  # bump when the repertoire changes: the file name changes, fonts are rebuilt


def font_dir() -> Path:
    return Path(settings.VAR_DIR) / "fonts"


def font_path(weight: int) -> Path:
    return font_dir() / f"fundflow-serif-{weight}-v{FORMAT_VERSION}.otf"


def gb2312_row_chars(first_row: int, last_row: int) -> list[int]:
    """The characters of GB 2312 rows ``first_row``..``last_row`` (0xA1-0xF7), in code order."""
    chars = []
    for hi in range(first_row, last_row + 1):
        for lo in range(0xA1, 0xFF):
            try:
                chars.append(ord(bytes((hi, lo)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return chars


def repertoire() -> set[int]:
    """GB 2312 (every valid two-byte code), printable ASCII, CJK and full-width punctuation."""
    chars: set[int] = set(range(0x20, 0x7F))
    chars.update(gb2312_row_chars(0xA1, 0xF7))
    chars.update(range(0x3000, 0x3040))  # CJK symbols and punctuation: 〔〕《》、。
    chars.update(range(0xFF01, 0xFF5F))  # full-width forms: （），：；
    chars.update(range(0x2010, 0x2030))  # dashes, quotes, ‰
    chars.update((0x00A5, 0x00B7, 0x00D7, 0x2116, 0x2460, 0x2461, 0x2462, 0x25CB, 0x25A1))
    return chars


def order_of_use(codepoints: set[int]) -> list[int]:
    """ASCII, then every other non-Han character, then GB 2312 level 1, level 2, and the rest."""
    han = range(0x4E00, 0xA000)
    ascii_ = [c for c in range(0x20, 0x7F) if c in codepoints]
    symbols = sorted(c for c in codepoints if c not in han and not 0x20 <= c < 0x7F)
    levels = gb2312_row_chars(0xB0, 0xD7) + gb2312_row_chars(0xD8, 0xF7)
    listed = set(ascii_) | set(symbols) | set(levels)
    return ascii_ + symbols + levels + sorted(c for c in codepoints if c not in listed)


def reorder_glyphs(font, codepoints: list[int]) -> None:
    """Renumber a CID-keyed CFF font's glyphs: ``.notdef``, then the glyphs of ``codepoints`` in order.

    The same permutation fontTools' subsetter applies when it drops glyphs: CharStrings
    index, charset and FDSelect (which private dict each glyph uses); metrics and cmap are
    keyed by glyph name and follow.
    """
    cmap = font.getBestCmap()
    old = font.getGlyphOrder()
    order, seen = [old[0]], {old[0]}
    for name in [cmap[c] for c in codepoints if c in cmap] + old:
        if name not in seen:
            order.append(name)
            seen.add(name)
    for tag in ("hmtx", "cmap", "OS/2", "hhea", "maxp", "post", "head", "name"):
        font[tag]  # loaded under the old order, before it changes
    cff = font["CFF "].cff
    top = cff[cff.fontNames[0]]
    charstrings = top.CharStrings
    for name in top.charset:
        charstrings.getItemAndSelector(name)  # decompile every charstring from the old index
    position = {name: i for i, name in enumerate(top.charset)}
    indices = [position[name] for name in order]
    index = charstrings.charStringsIndex
    index.items = [index.items[i] for i in indices]
    for stale in ("file", "offsets"):
        if hasattr(index, stale):
            delattr(index, stale)
    charstrings.charStrings = {name: i for i, name in enumerate(order)}
    if hasattr(top, "FDSelect"):
        top.FDSelect.format = None
        top.FDSelect.gidArray = [top.FDSelect.gidArray[i] for i in indices]
    top.charset = order
    font.setGlyphOrder(order)


def _source(weight: int) -> Path | None:
    return next((Path(p) for p in SOURCES[weight] if Path(p).exists()), None)


def _sc_index(path: Path) -> int:
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(path), lazy=True)
    for index, font in enumerate(collection.fonts):
        if font["name"].getDebugName(1) == SC_NAME:
            return index
    return 0


def build_font(weight: int) -> Path | None:
    """Build one weight if missing; atomic, so concurrent first uses never read half a file."""
    target = font_path(weight)
    if target.exists():
        return target
    source = _source(weight)
    if source is None:
        log.warning("Noto Serif CJK not installed (apt-get install fonts-noto-cjk); no cut font")
        return None
    from fontTools import subset

    logging.getLogger("fontTools").setLevel(logging.WARNING)
    options = subset.Options()
    options.font_number = _sc_index(source)
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.hinting = False
    # Horizontal Chinese text needs no OpenType layout (no GSUB closure that drags in thousands
    # of vertical, JP and full-width variants) and no vertical metrics: every glyph id up to
    # the highest one used ends up in each letter's embedded subset, so fewer glyphs = smaller PDFs.
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "BASE", "vhea", "vmtx", "VORG"]
    options.notdef_outline = True
    options.desubroutinize = False
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    codepoints = repertoire()
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    reorder_glyphs(font, order_of_use(codepoints))
    name = font["name"]
    for record in list(name.names):  # our own family name: never confused with the full face
        if record.nameID in (1, 16):
            record.string = FAMILY
        elif record.nameID in (4, 6):
            record.string = f"FundflowSerif-{weight}"
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(fd)
    try:
        subset.save_font(font, tmp, options)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    for stale in target.parent.glob(f"fundflow-serif-{weight}-v*.otf"):
        if stale != target:
            stale.unlink(missing_ok=True)  # an older format: no process renders with it any more
    return target


def ensure_fonts() -> dict[int, Path]:
    """The cut fonts that exist (building any missing one); an empty dict means full fonts only."""
    built = {}
    for weight in SOURCES:
        path = build_font(weight)
        if path is not None:
            built[weight] = path
    return built

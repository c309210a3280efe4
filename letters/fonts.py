"""The letters' cut fonts: free CJK faces reduced once to GB 2312 + ASCII + punctuation.

GB/T 9704 sets a letter in four styles: the authority's name and the title in 小标宋,
the body in 仿宋, first-level headings (``一、``) in 黑体, second-level ones (``（一）``)
in 楷体. Their free stand-ins (``FACES``, all Debian packages):

- **title** — Noto Serif CJK SC Bold (``fonts-noto-cjk``): a heavy 宋 is the nearest
  free face to 小标宋 (the Black weight of ``fonts-noto-cjk-extra`` is closer still but
  that package is a 134 MB download for one weight);
- **body** — Noto Serif CJK SC Regular: no free *simplified* 仿宋 is packaged
  (``fonts-cwtex-fs`` has traditional forms), and a 宋 body is what most printed
  notices used before 仿宋_GB2312 became the rule;
- **hei** — Noto Sans CJK SC Regular (黑体);
- **kai** — AR PL KaitiM GB (``fonts-arphic-gkai00mp``, 2.3 MB): a 楷 with the GB 2312
  repertoire, made for simplified Chinese.

A bureau that owns 方正小标宋 and 仿宋_GB2312 points the styles at them by configuration
(``LETTER_FONT_TITLE``, ``LETTER_FONT_BODY``, ``LETTER_FONT_HEI``, ``LETTER_FONT_KAI``:
a family name fontconfig knows, or a font file; see ``letters.pdf``); the free faces stay
behind them in each ``font-family`` stack.

Why cut: WeasyPrint embeds a subset of every face a letter uses, and subsetting a full
Noto CJK face (65,000 glyphs) costs most of a render. A face reduced to the ~7,500
characters of GB 2312 plus ASCII and punctuation subsets in a few milliseconds. Each is
built once (``manage.py letters_fonts``, run by ``scripts/setup.sh``, or on first use)
under ``var/fonts/``. Characters outside it (rare name characters such as 堃, 䶮) fall
through to the full face behind it in the stack, so no character is ever drawn as a box.

Glyph order: WeasyPrint's subset keeps every glyph id below the highest one a letter uses
(empty, but each costs its metrics and index entries). So the glyphs are put in an order
of use: first a face's *priority* characters (for the title and heading faces: the words
of titles, headings and authority names, so a title embeds a few hundred slots, not
thousands), then ASCII and punctuation, GB 2312 level 1 (the 3,755 common characters),
then level 2.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from letters.authorities import DEFAULT_AUTHORITIES

log = logging.getLogger(__name__)

FORMAT_VERSION = 6  # bump when a repertoire or an order changes: file names change, fonts rebuild

# Words of titles, 版头, headings, 抄送/印发 and the authorities' names: the title and heading
# faces put these first, so the subset a letter embeds stops after a few hundred glyph ids.
PRIORITY_WORDS = (
    "〔〕（）()：:、，。；—-·0123456789"
    "一二三四五六七八九十关于给予对的通知决定证书奖励资金不予支持立项验收项目专项申请"
    "兑付服务券知识产权管理规范贯标认证专利导航产业中小企业托管运营体系建设通过批准"
    "决定事项事实依据理由与权利救济途径其他说明有关要求核定金额拨付使用监督检查特此"
    "奖励决定情况阶段资金和申报审核合同期分批次附件"
    "先进结构材料装备制造化工新材料新能源信息产业生物医药纺织服装"
    "抄送印发人民政府财政局市场监督管理局自治区新疆维吾尔乌鲁木齐市区县"
    + "".join(name + code for name, code, _body in DEFAULT_AUTHORITIES.values())
)


@dataclass(frozen=True)
class Face:
    key: str  # the style it serves: title, body, hei, kai
    family: str  # our family name for the cut face (never confused with the full one)
    weight: int
    sources: tuple[str, ...]  # the full face's file, first one that exists
    collection_name: str  # the family inside a .ttc (the SC face of Noto CJK)
    priority: bool  # put PRIORITY_WORDS first


FACES = {
    "body": Face(
        "body",
        "Fundflow Serif",
        400,
        (
            "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
            "/usr/share/fonts/noto-cjk/NotoSerifCJK-Regular.ttc",
        ),
        "Noto Serif CJK SC",
        False,
    ),
    "title": Face(
        "title",
        "Fundflow Serif",
        700,
        (
            "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
            "/usr/share/fonts/noto-cjk/NotoSerifCJK-Bold.ttc",
        ),
        "Noto Serif CJK SC",
        True,
    ),
    "hei": Face(
        "hei",
        "Fundflow Sans",
        400,
        (
            "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
            "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
        ),
        "Noto Sans CJK SC",
        True,
    ),
    "kai": Face(
        "kai",
        "Fundflow Kai",
        400,
        ("/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf",),
        "AR PL KaitiM GB",
        True,
    ),
}
# The face of a weight, for callers that knew only the body face (400) and a bold one (700).
BY_WEIGHT: dict[int, str] = {400: "body", 700: "title"}
FAMILY = FACES["body"].family
SC_NAME = FACES["body"].collection_name


def _face(key: str | int) -> Face:
    return FACES[BY_WEIGHT.get(key, "body") if isinstance(key, int) else key]


def font_dir() -> Path:
    return Path(settings.VAR_DIR) / "fonts"


def font_path(key: str | int) -> Path:
    face = _face(key)
    suffix = ".ttf" if face.sources[0].endswith(".ttf") else ".otf"
    return font_dir() / f"fundflow-{face.key}-v{FORMAT_VERSION}{suffix}"


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


def order_of_use(codepoints: set[int], priority: str = "") -> list[int]:
    """``priority``'s characters, ASCII, every other non-Han character, GB 2312 level 1,
    level 2, and the rest."""
    han = range(0x4E00, 0xA000)
    first = list(dict.fromkeys(ord(c) for c in priority if ord(c) in codepoints))
    ascii_ = [c for c in range(0x20, 0x7F) if c in codepoints]
    symbols = sorted(c for c in codepoints if c not in han and not 0x20 <= c < 0x7F)
    levels = gb2312_row_chars(0xB0, 0xD7) + gb2312_row_chars(0xD8, 0xF7)
    ordered = list(dict.fromkeys(first + ascii_ + symbols + levels))
    listed = set(ordered)
    return ordered + sorted(c for c in codepoints if c not in listed)


def _glyph_order(font, codepoints: list[int]) -> list[str]:
    cmap = font.getBestCmap()
    old = font.getGlyphOrder()
    order, seen = [old[0]], {old[0]}
    for name in [cmap[c] for c in codepoints if c in cmap] + old:
        if name not in seen:
            order.append(name)
            seen.add(name)
    return order


def reorder_glyphs(font, codepoints: list[int]) -> None:
    """Renumber a font's glyphs: ``.notdef``, then the glyphs of ``codepoints`` in order.

    CID-keyed CFF (Noto): the same permutation fontTools' subsetter applies when it drops
    glyphs: CharStrings index, charset and FDSelect (which private dict each glyph uses).
    TrueType (AR PL): ``glyf`` is keyed by glyph name and rewritten in the new order.
    Metrics and cmap are keyed by glyph name and follow.
    """
    order = _glyph_order(font, codepoints)
    for tag in ("hmtx", "cmap", "OS/2", "hhea", "maxp", "post", "head", "name"):
        font[tag]  # loaded under the old order, before it changes
    if "CFF " in font:
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
        return
    glyf = font["glyf"]
    for name in glyf.keys():
        glyf[name]  # decompile every glyph under the old order
    font.setGlyphOrder(order)
    glyf.glyphOrder = order
    font.getReverseGlyphMap(rebuild=True)


def _source(key: str | int) -> Path | None:
    return next((Path(p) for p in _face(key).sources if Path(p).exists()), None)


def _sc_index(path: Path, name: str = SC_NAME) -> int:
    if path.suffix.lower() != ".ttc":
        return 0
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(path), lazy=True)
    for index, font in enumerate(collection.fonts):
        if font["name"].getDebugName(1) == name:
            return index
    return 0


def build_font(key: str | int) -> Path | None:
    """Build one face if missing; atomic, so concurrent first uses never read half a file."""
    face = _face(key)
    target = font_path(face.key)
    if target.exists():
        return target
    source = _source(face.key)
    if source is None:
        log.warning("%s not installed (scripts/setup.sh lists the packages)", face.collection_name)
        return None
    from fontTools import subset

    logging.getLogger("fontTools").setLevel(logging.WARNING)
    options = subset.Options()
    options.font_number = _sc_index(source, face.collection_name)
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.hinting = False
    # Horizontal Chinese text needs no OpenType layout (no GSUB closure that drags in thousands
    # of vertical, JP and full-width variants) and no vertical metrics: every glyph id up to
    # the highest one used ends up in each letter's embedded subset, so fewer glyphs = smaller PDFs.
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "BASE", "vhea", "vmtx", "VORG", "mort", "morx"]
    options.notdef_outline = True
    options.desubroutinize = False
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    codepoints = repertoire()
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    reorder_glyphs(font, order_of_use(codepoints, PRIORITY_WORDS if face.priority else ""))
    name = font["name"]
    for record in list(name.names):  # our own family name: never confused with the full face
        if record.nameID in (1, 16):
            record.string = face.family
        elif record.nameID in (4, 6):
            record.string = f"{face.family.replace(' ', '')}-{face.weight}"
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
    for stale in target.parent.glob(f"fundflow-{face.key}-v*.*"):
        if stale != target:
            stale.unlink(missing_ok=True)  # an older format: no process renders with it any more
    for stale in target.parent.glob("fundflow-serif-*-v*.otf"):
        stale.unlink(missing_ok=True)  # the one-face cut of format 3 and before
    return target


def ensure_fonts() -> dict[str, Path]:
    """The cut faces that exist (building any missing one); missing ones fall to full fonts."""
    built = {}
    for key in FACES:
        path = build_font(key)
        if path is not None:
            built[key] = path
    return built

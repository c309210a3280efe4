"""The cut letter font: the same glyphs as Noto Serif CJK SC, in an order that keeps each PDF small."""

import io
import re
import zlib

from fontTools.pens.recordingPen import RecordingPen
from fontTools.ttLib import TTFont

from letters import fonts
from letters.pdf import Renderer
from tests.support.letters import pdf_text

TEXT = "乌鲁木齐市市场监督管理局（知识产权局）奖励通知书：人民币叁万伍仟元整（¥35,000.00）■"


def embedded_font(pdf: bytes) -> TTFont:
    match = re.search(rb"/Subtype /OpenType/Filter /FlateDecode/Length (\d+)>>\s*stream\r?\n", pdf)
    start = match.end()
    return TTFont(io.BytesIO(zlib.decompress(pdf[start : start + int(match.group(1))])))


def test_common_characters_come_before_rare_ones():
    assert fonts.ensure_fonts()  # scripts/setup.sh installs fonts-noto-cjk and builds the cut
    font = TTFont(fonts.font_path(400))
    cmap, order = font.getBestCmap(), font.getGlyphOrder()
    gid = {char: order.index(cmap[ord(char)]) for char in "A，¥■的乌鲁齐鑫"}
    assert gid["A"] < gid["，"] < gid["的"]  # ASCII, punctuation, then Han
    assert gid["¥"] < gid["的"] and gid["■"] < gid["的"]
    assert max(gid["的"], gid["乌"], gid["鲁"], gid["齐"]) < 4600 < gid["鑫"]  # level 1, level 2


def test_a_letter_in_common_characters_embeds_a_small_subset_that_prints_every_character():
    pdf = Renderer().render(f"<html><body><p>{TEXT}</p></body></html>")
    embedded = embedded_font(pdf)
    assert embedded["name"].getDebugName(1) == fonts.FAMILY
    assert embedded["maxp"].numGlyphs < 4600  # the full GB 2312 cut has 7,597
    assert TEXT in "".join(pdf_text(pdf).split())


def test_reordering_keeps_every_outline_and_width():
    font = TTFont(fonts.font_path(400))
    glyphs, cmap = font.getGlyphSet(), font.getBestCmap()
    source = fonts._source(400)
    full = TTFont(source, fontNumber=fonts._sc_index(source), lazy=True)
    full_glyphs, full_cmap = full.getGlyphSet(), full.getBestCmap()
    for char in TEXT + "鑫Az":
        ours, theirs = RecordingPen(), RecordingPen()
        glyphs[cmap[ord(char)]].draw(ours)
        full_glyphs[full_cmap[ord(char)]].draw(theirs)
        assert ours.value == theirs.value, char
        assert glyphs[cmap[ord(char)]].width == full_glyphs[full_cmap[ord(char)]].width, char

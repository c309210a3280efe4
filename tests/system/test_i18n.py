"""Chinese first: every message has a zh-Hans translation, and the API speaks the caller's language."""

import shutil

import polib
import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from tests.support import ROOT


def test_every_msgid_is_translated_to_zh_hans():
    catalogue = polib.pofile(str(ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is not installed")
def test_every_string_in_the_code_is_translated_to_zh_hans(tmp_path, monkeypatch):
    """Re-extract every msgid from code and templates into a copy of the catalogue: a string added
    to the code but missing from locale/ shows up here as untranslated, not only stale .po entries."""
    # makemessages writes to the ``locale`` directory it finds beside the sources, so it runs in a
    # mirror of the project (symlinks to the sources, a copy of locale/): the repository is untouched.
    mirror = tmp_path / "src"
    mirror.mkdir()
    skip = {"locale", ".git", "var", "test-artifacts", ".venv", "node_modules", "static"}
    for entry in ROOT.iterdir():
        if entry.name not in skip and not entry.name.startswith("."):
            (mirror / entry.name).symlink_to(entry)
    locale = mirror / "locale"
    shutil.copytree(ROOT / "locale", locale)
    monkeypatch.chdir(mirror)
    with override_settings(LOCALE_PATHS=[str(locale)]):
        call_command(
            "makemessages",
            locale=["zh_Hans"],
            domain="django",
            symlinks=True,
            ignore_patterns=["*/migrations/*", "tests/*", "bench/*", "*.egg-info/*"],
            no_obsolete=True,
            verbosity=0,
        )
    catalogue = polib.pofile(str(locale / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    missing = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert (missing, fuzzy) == ([], []), (
        f"{len(missing)} untranslated and {len(fuzzy)} fuzzy msgids in zh_Hans; "
        "run `python manage.py makemessages -l zh_Hans` and translate them"
    )


def test_problem_titles_follow_accept_language(demo):
    zh = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get("/api/v1/applications").json()
    en = Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/applications").json()
    assert zh["status"] == en["status"] == 401
    assert zh["title"] != en["title"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh["title"])


def test_home_page_is_chinese_by_default(demo):
    page = Client().get("/").content.decode()
    assert "知识产权管理规范贯标认证奖励" in page and "登录" in page


def test_pages_stay_chinese_for_an_english_browser_until_english_is_chosen(demo):
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "登录" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/").content.decode()
    assert "Log in" in page and "登录" not in page

"""Chinese first: every message has a zh-Hans translation, and the API speaks the caller's language."""

from pathlib import Path

import polib
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent


def test_every_msgid_is_translated_to_zh_hans():
    catalogue = polib.pofile(str(ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []


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

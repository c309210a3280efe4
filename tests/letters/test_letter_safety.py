"""Applicant text cannot load files, reach the network or run for ever in a letter."""

import socket

import pytest

from grants.models import Organization
from letters.models import Letter
from letters.pdf import RefusedResource, Renderer, StaticOnlyFetcher, resolve
from letters.tasks import issue_letter
from tests.support.letters import approve_all, pdf_text


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "https://example.com/logo.png",
        "ftp://example.com/x",
        "data:image/svg+xml,<svg/>",
        "fundflow:static/../../../../etc/passwd",
        "fundflow:fonts/../../../../etc/passwd",
        "fundflow:static//etc/passwd",
        "fundflow:other/etc/passwd",
        "/etc/passwd",
    ],
)
def test_the_fetcher_refuses_anything_but_our_static_assets(url):
    with pytest.raises(RefusedResource):
        resolve(url)


@pytest.mark.parametrize(
    "url",
    [
        "fundflow:qr/../../etc/passwd",
        "fundflow:qr/<script>x()</script>",
        "fundflow:qr/",
        "fundflow:qr/ab",
    ],
)
def test_the_fetcher_draws_qr_codes_only_of_verification_codes(url):
    with pytest.raises(RefusedResource):
        StaticOnlyFetcher().fetch(url)


def test_the_fetcher_draws_the_qr_code_of_a_verification_code():
    response = StaticOnlyFetcher().fetch("fundflow:qr/4GihEYWZt8Ds7Qz0a4ymen34FkgUm-Zc")
    assert response.headers["Content-Type"] == "image/png"


def test_the_fetcher_serves_our_stylesheet():
    assert resolve("fundflow:static/letters/letter.css").name == "letter.css"


@pytest.fixture
def no_network(monkeypatch):
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise AssertionError("a letter tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return calls


def test_markup_with_file_and_network_urls_renders_without_fetching_them(no_network):
    html = (
        '<html><body><p>x</p><img src="file:///etc/passwd">'
        '<img src="http://10.0.0.1/track.png">'
        '<link rel="stylesheet" href="https://example.com/a.css">'
        '<div style="background: url(file:///etc/shadow)">y</div></body></html>'
    )
    pdf = Renderer().render(html)
    assert pdf.startswith(b"%PDF-")
    assert b"root:" not in pdf
    assert no_network == []


def test_applicant_text_is_escaped_in_the_letter(
    as_user, submitted_app, django_capture_on_commit_callbacks, no_network
):
    evil = '恶意<img src="file:///etc/passwd">公司<script>x()</script>'
    Organization.objects.filter(pk=submitted_app["organization"]).update(name=evil)
    approve_all(as_user, submitted_app["id"], django_capture_on_commit_callbacks)
    letter = Letter.objects.get(application_id=submitted_app["id"])
    text = "".join(pdf_text(letter.pdf.read()).split())  # lines may break inside the name
    assert '<imgsrc="file:///etc/passwd">' in text  # printed as text, not loaded
    assert "<script>x()</script>" in text
    assert "root:" not in text
    assert no_network == []


def test_the_issuing_task_has_time_limits():
    assert issue_letter.soft_time_limit and issue_letter.time_limit
    assert issue_letter.time_limit <= 300
    assert issue_letter.acks_late and issue_letter.reject_on_worker_lost

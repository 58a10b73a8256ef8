"""`report`: one self-contained HTML file, private, that shows user data only as text."""

from __future__ import annotations

import re
import stat
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import InProcessCLI

HOSTILE = "<script>alert(1)</script>"
SVG_BREAKER = '"/></svg><img src=x onerror=alert(2)>'


class Page(HTMLParser):
    """What a browser would load or run from the page: every tag and its attributes."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def _story(run: InProcessCLI) -> None:
    run.now = "2026-10-01T09:00:00Z"
    run.run("add", "Ann Lee", "--company", "Acme & Sons", "--tag", "design")
    run.run("add", HOSTILE, "--company", "<b>Evil</b> Corp")
    run.run("ask", "Ann", "--via", "email")
    run.run("ask", "alert", "--via", "linkedin")
    run.now = "2026-10-02T09:00:00Z"
    run.run("answer", "Ann", "accepted")
    run.now = "2026-10-05T15:00:00Z"
    run.run("met", "Ann", "--notes", "talked about <iframe src=//evil>", "--referral",
            SVG_BREAKER)
    run.now = "2026-10-06T09:00:00Z"


def test_the_report_is_self_contained_private_and_escapes_user_data(
        run: InProcessCLI, tmp_path: Path) -> None:
    _story(run)
    out = tmp_path / "mine.html"
    result = run.json("report", "--out", str(out))
    assert result == {"out": str(out), "bytes": out.stat().st_size}
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert not list(tmp_path.glob("*.partial"))  # written whole, then renamed
    text = out.read_text()
    page = Page(text)
    # Nothing to load or run: no script, no external stylesheet, no frame, no image,
    # every link inside the page.
    for tag in ("script", "iframe", "img", "link", "object", "embed"):
        assert page.named(tag) == [], tag
    for _tag, attrs in page.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (name, value)
            if name in ("href", "src", "action"):
                assert (value or "").startswith("#"), (name, value)
    assert not re.search(r"url\(|@import|https?://(?!www\.w3\.org/2000/svg)", text)
    # The hostile name, company and note are there, as text.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;b&gt;Evil&lt;/b&gt; Corp" in text
    assert "talked about &lt;iframe src=//evil&gt;" in text
    assert "Acme &amp; Sons" in text
    assert "&lt;/svg&gt;&lt;img src=x onerror=alert(2)&gt;" in text  # in the referral tree too
    # Headings and captions for a screen reader; charts say what they are.
    assert [h for h in ("Pipeline", "Due", "Funnel", "Replies", "Follow-through",
                        "Activity per week", "Referrals", "People")
            if f">{h}</h2>" not in text] == []
    assert text.count("<caption>") >= 5
    for svg in page.named("svg"):
        assert svg.get("role") == "img" and svg.get("aria-label")
    assert "@media print" in text and 'name="viewport"' in text


def test_the_page_shows_what_stats_counts_and_each_contact(run: InProcessCLI,
                                                           tmp_path: Path) -> None:
    _story(run)
    out = tmp_path / "report.html"
    run.run("report", "--out", str(out))
    text = out.read_text()
    funnel = {s["step"]: s["count"] for s in run.json("stats")["funnel"]}
    shown = dict(re.findall(r'data-step="(\w+)">(\d+)<', text))
    assert {step: int(count) for step, count in shown.items()} == funnel
    assert funnel["met"] == 1 and funnel["referrals"] == 1
    # A card per contact with its next follow-up, a section with the timeline in words.
    assert 'data-contact="ann-lee"' in text
    assert re.search(r'data-contact="ann-lee">.*?next: thank-you by 2026-10-06 15:00', text,
                     re.S)
    ann = text.split('id="c-ann-lee"', 1)[1].split("</section>", 1)[0]
    assert "Timeline of <bdi>Ann Lee</bdi>" in ann  # (isolated: a right-to-left name)
    assert "asked for a conversation via email" in ann
    words = re.sub(r"<[^>]*>", " ", ann.split(">", 1)[1])  # what a reader sees
    assert "introduced me to" in words and "ann-lee" not in words
    # The due list gives each item its handle, for done, skip and snooze.
    due = text.split('id="due"', 1)[1].split("</section>", 1)[0]
    items = run.json("due")
    assert items and all(f"<code>{i['handle']}</code>" in due for i in items)


def test_where_it_goes_and_what_it_leaves_out(run: InProcessCLI, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _story(run)
    monkeypatch.chdir(tmp_path)
    out = run.run("report").out  # the current folder by default
    assert out.startswith("Wrote report.html (") and "file://" in out
    assert (tmp_path / "report.html").is_file()
    few = tmp_path / "few.html"
    run.run("report", "--out", str(few), "--contacts", "1")
    text = few.read_text()
    assert text.count('class="person"') == 1
    assert "2 more are in the pipeline above" in text  # (three contacts, one section)
    before = run.count()
    folder = run.run("report", "--out", str(tmp_path), expect=1)
    assert folder.err.startswith("coffeechat: error: --out:") and "is a folder" in folder.err
    nowhere = run.run("report", "--out", str(tmp_path / "no" / "r.html"), expect=1)
    assert "does not exist" in nowhere.err
    assert run.count() == before


def test_as_of_shows_the_past(run: InProcessCLI, tmp_path: Path) -> None:
    _story(run)
    out = tmp_path / "then.html"
    run.run("report", "--out", str(out), "--as-of", "2026-10-01")
    text = out.read_text()
    assert "(as recorded by then)" in text
    assert 'data-step="met">0<' in text and "talked about" not in text


def test_watch_keeps_report_html_beside_the_views_unless_turned_off(
        run: InProcessCLI, tmp_path: Path) -> None:
    _story(run)
    notes = tmp_path / "notes"
    notes.mkdir(mode=0o700)
    done = run.json("watch", str(notes), "--once")
    assert "report.html" in done["views"]
    written = notes / "_coffeechat" / "report.html"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600  # as private as the notes folder
    text = written.read_text()
    assert text.startswith("<!-- written by coffeechat watch") and "<!DOCTYPE html>" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert run.json("watch", str(notes), "--once")["views"] == []  # nothing new: unchanged
    written.unlink()
    (run.home / "config.toml").write_text("[views]\nreport = false\n")
    run.now = "2026-10-07T09:00:00Z"
    assert "report.html" not in run.json("watch", str(notes), "--once")["views"]
    assert not written.exists()
    (run.home / "config.toml").write_text("[views]\nreport = 'sometimes'\n")
    bad = run.run("watch", str(notes), "--once", expect=1)
    assert "views.report" in bad.err and len(bad.err.strip().splitlines()) == 1

"""Hostile and awkward import files: one-line errors, real exports that must work,
dry runs that record nothing, and CalDAV errors that never show a secret."""

from __future__ import annotations

import json
import mailbox
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLI, Result
from tests.test_calendar import PASSWORD, configure, radicale  # noqa: F401 - a fixture
from tests.test_mailbox import inbox, message, setup, write_mbox

DATA = Path(__file__).parent / "data"
SECRET = "s3cr3t-in-the-error-page"


def one_line_error(result: Result, path: Path | str) -> str:
    """The single stderr line of a failed command, checked for what every error owes."""
    assert result.code == 1, result
    assert "Traceback" not in result.err
    [line] = result.err.strip().splitlines()
    assert line.startswith("coffeechat: error: ") and str(path) in line
    return line


# -- 1. files that are not text, or not a contacts export --------------------------------

BINARY = bytes(range(256)) * 8
NOT_1252 = b"First Name,Last Name\nJane,Doe\nRen\x81e,Dupont\n"
BIG = b"First Name,Last Name,Company\nJane,Doe,Acme\nJohn,\"" + b"x" * 200_000 + b"\",Acme\n"


@pytest.mark.parametrize(("kind", "content", "words"), [
    ("linkedin", BINARY, "line 1: a NUL byte: this is a binary file"),
    ("google", BINARY, "line 1: a NUL byte"),
    ("vcard", BINARY, "line 1: a NUL byte"),
    ("linkedin", NOT_1252, "line 3: byte 0x81 is neither UTF-8 nor Windows-1252"),
    ("vcard", b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ren\x81e\r\nEND:VCARD\r\n",
     "line 3: byte 0x81"),
    ("linkedin", BIG, "line 3: a field is longer than 131,072 characters"),
    ("google", b"Name,E-mail 1 - Value\n" + BIG, "line 4: a field is longer than"),
])
def test_a_file_that_cannot_be_read_is_one_line_naming_file_and_line(
        run: CLI, tmp_path: Path, kind: str, content: bytes, words: str) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    line = one_line_error(run.run("import", kind, str(path), expect=None), path)
    assert words in line
    assert run.count() == 0


# -- 3. times outside what the log keeps ------------------------------------------------------

ICS = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\n"
       "BEGIN:VEVENT\r\nUID:fine@example.com\r\nDTSTART:20261201T100000Z\r\n"
       "ORGANIZER;CN=Bob Stone:mailto:bob@example.com\r\nEND:VEVENT\r\n"
       "BEGIN:VEVENT\r\nUID:odd@example.com\r\n{start}\r\n"
       "ORGANIZER;CN=Ann Lee:mailto:ann@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


@pytest.mark.parametrize(("start", "words"), [
    ("DTSTART:00010101T100000Z", "DTSTART: 0001-01-01 is outside"),
    ("DTSTART;VALUE=DATE:00010101", "DTSTART: 0001-01-01 is outside"),
    ("DTSTART:99991231T100000Z", "DTSTART: 9999-12-31 is outside"),
    ("DTSTART:20261201T100000Z\r\nSEQUENCE:99999999999999999999", "SEQUENCE"),
])
def test_an_invitation_outside_the_dates_kept_is_refused_before_anything_is_written(
        run: CLI, tmp_path: Path, start: str, words: str) -> None:
    configure(run)
    path = tmp_path / "invite.ics"
    path.write_text(ICS.format(start=start))
    line = one_line_error(run.run("import", "ics", str(path), expect=None), path)
    assert f"{path}: line 9: event 2: {words}" in line and "nothing was imported" in line
    assert run.count() == 0
    assert run.json("contacts") == []


def test_a_message_dated_outside_the_window_is_unreadable_not_recorded(
        run: CLI, tmp_path: Path) -> None:
    setup(run)
    box = tmp_path / "far.mbox"
    write_mbox(box, [message("priya@example.com", "Fri, 31 Dec 9999 23:00:00 +0000", "Re: hi")])
    before = run.count()
    assert run.json("import", "mbox", str(box)) == {
        "replied": [], "messages": 1, "automatic": 0, "unreadable": 1, "refused": []}
    assert run.count() == before
    run.run("log")


# -- 4. real exports that used to fail ----------------------------------------------------------

def test_group_and_company_cards_are_listed_not_imported_and_escaped_colons_read(
        run: CLI) -> None:
    path = DATA / "contacts-groups-and-companies.vcf"
    result = run.run("import", "vcard", str(path), "--json")
    report = json.loads(result.out)
    assert sorted(report["added"]) == ["jane-doe", "mei-chen"]
    skipped = {s["row"]: s["message"] for s in report["skipped"]}
    assert sorted(skipped) == [10, 18, 25, 31]
    assert "a company card (Acme Corporation), not a person" in skipped[10]
    assert "a group card (Book Club)" in skipped[18]
    assert "a group card (Mentors)" in skipped[25]
    assert "an organisation card (Northwind Traders)" in skipped[31]
    assert len(result.err.strip().splitlines()) == 4  # each listed
    # Google writes https\://...: the backslash is not part of the address.
    assert run.json("show", "jane")["linkedin"] == "https://www.linkedin.com/in/jane-doe-google"
    assert run.json("show", "mei")["linkedin"] == "https://www.linkedin.com/in/mei-chen"
    names = {c["name"] for c in run.json("contacts")}
    assert names == {"Jane Doe", "Mei Chen"}


def test_google_rows_without_a_name_are_named_after_what_they_have(run: CLI) -> None:
    report = run.json("import", "google", str(DATA / "google-contacts-no-names.csv"))
    assert sorted(report["added"]) == ["initech", "raj-patel", "sam-okafor-example-org"]
    assert report["skipped"] == [{"row": 5, "message": "no name, organisation, email or "
                                                      "phone: not imported"}]
    sam = run.json("show", "sam-okafor-example-org")
    assert (sam["name"], sam["email"]) == ("sam.okafor@example.org", "sam.okafor@example.org")
    assert run.json("show", "initech")["company"] == "Initech"


# -- 5. dry runs: the same report, nothing recorded ------------------------------------------

def same_report(run: CLI, *args: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A dry run's report, then the real import's; the log unchanged by the first."""
    before = run.count()
    dry = run.json(*args, "--dry-run")
    assert run.count() == before
    assert dry.pop("dry_run") is True
    real = run.json(*args)
    return dry, real


@pytest.mark.parametrize(("kind", "name"), [
    ("linkedin", "linkedin-connections.csv"),
    ("vcard", "contacts-groups-and-companies.vcf"),
    ("google", "google-contacts.csv"),
])
def test_a_dry_run_of_a_people_import_reports_what_the_import_does(
        run: CLI, kind: str, name: str) -> None:
    run.run("add", "Jane Doe", "--company", "Acme")
    dry, real = same_report(run, "import", kind, str(DATA / name))
    assert dry.pop("batch") is None and real.pop("batch") is not None
    assert dry == real and dry["added"]
    text = run.run("import", kind, str(DATA / name), "--dry-run").out
    assert "nothing was recorded (dry run)" in text and "0 would be added" in text


def test_a_dry_run_says_who_would_be_added_and_what_updated(run: CLI) -> None:
    run.run("add", "Jane Doe", "--company", "Acme")
    result = run.run("import", "linkedin", str(DATA / "linkedin-connections.csv"),
                     "--dry-run")
    assert "4 would be added, 1 would be updated" in result.out
    assert "  add raj-patel (Raj Patel)" in result.out
    assert "  update jane-doe: role, linkedin" in result.out
    assert run.count() == 1


def test_a_dry_run_of_an_ics_import(run: CLI) -> None:
    configure(run)
    run.run("add", "Priya Raman", "--email", "Priya.Raman@gmail.com")
    dry, real = same_report(run, "import", "ics", str(DATA / "invite-google.ics"))
    assert dry == real == {"scheduled": ["priya-raman"], "cancelled": [], "added": [],
                           "unchanged": 0}
    text = run.run("import", "ics", str(DATA / "invite-outlook.ics"), "--dry-run").out
    assert "1 would be scheduled" in text and "nothing was recorded" in text
    assert "schedule a meeting with daniel-okafor at 2026-12-08T22:00:00Z" in text
    again = run.run("import", "ics", str(DATA / "invite-google.ics"), "--dry-run").out
    assert "unchanged: already recorded at SEQUENCE 0" in again


def test_a_dry_run_of_a_mailbox_import(run: CLI, tmp_path: Path) -> None:
    setup(run)
    box = tmp_path / "Inbox.mbox"
    write_mbox(box, inbox())
    dry, real = same_report(run, "import", "mbox", str(box))
    assert dry == real and dry["replied"] == ["priya-raman"]
    folder = tmp_path / "Maildir"
    maildir = mailbox.Maildir(str(folder))
    maildir.add(mailbox.MaildirMessage(message("omar@example.org",
                                               "Thu, 05 Nov 2026 18:00:00 +0000", "Re: hi")))
    maildir.close()
    text = run.run("import", "maildir", str(folder), "--dry-run").out
    assert "1 would answer an ask" in text and "omar-haddad: a reply on 2026-11-05" in text
    dry, real = same_report(run, "import", "maildir", str(folder))
    assert dry == real and real["replied"] == ["omar-haddad"]


# -- 6. CalDAV: no credentials and no server bodies in what is shown ------------------------

class _Broken(BaseHTTPRequestHandler):
    """A server whose every answer is a 500 with a page quoting a secret."""

    def _fail(self) -> None:
        body = f"<h1>Internal error</h1><pre>{SECRET} {self.headers}</pre>".encode()
        self.send_response(500)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_PROPFIND = do_REPORT = do_OPTIONS = _fail

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def broken_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Broken)
    # (a short poll interval: shutdown() waits for the next poll)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_server_error_shows_its_status_not_its_body_nor_the_password(
        run: CLI, broken_server: str) -> None:
    run.run("add", "Priya Raman")
    run.run("schedule", "priya", "--at", "2026-11-10T15:00:00Z")
    configure(run, url=f"http://maya:{PASSWORD}@{broken_server}/maya/coffeechat/")
    result = run.run("calendar", "push", expect=None, COFFEECHAT_CALDAV_PASSWORD=PASSWORD)
    line = one_line_error(result, f"http://{broken_server}/maya/coffeechat/")
    assert "500 Internal Server Error" in line
    for secret in (SECRET, PASSWORD, "maya:"):
        assert secret not in result.err + result.out


@pytest.mark.slow  # a real CalDAV server
def test_a_password_in_the_url_is_never_shown(run: CLI, radicale: str) -> None:  # noqa: F811
    run.run("add", "Priya Raman")
    run.run("schedule", "priya", "--at", "2026-11-10T15:00:00Z")
    with_password = radicale.replace("http://", f"http://maya:{PASSWORD}@")
    configure(run, url=with_password, username="maya")
    env = {"COFFEECHAT_CALDAV_PASSWORD": PASSWORD}
    pushed = run.run("calendar", "push", "--json", **env)
    assert json.loads(pushed.out)["url"] == radicale
    text = run.run("calendar", "push", **env)
    assert radicale in text.out
    wrong = run.run("calendar", "push", expect=None, COFFEECHAT_CALDAV_PASSWORD="not-it")
    assert "refused maya" in one_line_error(wrong, radicale)
    configure(run, url=with_password.replace("/coffeechat/", "/elsewhere/"), username="maya")
    missing = run.run("calendar", "push", expect=None, **env)
    assert "there is no calendar at" in one_line_error(missing, "/elsewhere/")
    for result in (pushed, text, wrong, missing):
        assert PASSWORD not in result.out + result.err

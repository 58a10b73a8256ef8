"""Round 9 of the adversary against the log: the parts earlier rounds touched least.

A plugin's payloads at the edges of what JSON holds (ints past 2**64, NaN, deep
nesting, date-like text far outside the log's years), then every command; mail
and calendar servers that trickle, drop the connection in the middle of DATA or
never answer the end of it; a notes folder full of hostile names, links and
front matter, views the user scribbled over, and two watchers at once.

Every server is a real one started here on 127.0.0.1; every store a real file.
Strict xfails are bugs reported to the core's owner (see each reason).
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLI, InProcessCLI, Result

NOW = "2026-11-02T09:00:00Z"
SECRET = "S9-trust-Secr3t-x7"
REPO = Path(__file__).resolve().parent.parent

# Every read, and the writes that rebuild or copy: each must exit 0 after an attack.
EVERY_COMMAND: list[tuple[str, ...]] = [
    ("due",), ("today",), ("show", "jane"), ("log",), ("stats",), ("contacts", "--warmth", "warm"),
    ("reconnect",), ("search", "acme"), ("rebuild",), ("verify",),
    ("due", "--json"), ("log", "--json"), ("show", "jane", "--json"),
]


def every_command_works(run: CLI, tmp: Path, *, plugins: tuple[str, ...] = (), **env: str
                        ) -> list[Result]:
    """Run every command (and the exports, the report) against the store; all must exit 0."""
    out = tmp / "out"
    out.mkdir(exist_ok=True)
    commands = [*EVERY_COMMAND,
                ("export", "jsonl", "--out", str(out / "all.jsonl")),
                ("export", "ics", "--out", str(out / "all.ics")),
                ("report", "--out", str(out / "report.html"))]
    results = []
    for args in commands:
        result = run.run(*plugins, *args, expect=None, **env)
        assert result.code == 0 and "Traceback" not in result.err, (args, result)
        results.append(result)
    return results


def one_line_failure(result: Result, *words: str) -> str:
    """A refused command: exit 1, no traceback, one `coffeechat: error:` line on stderr."""
    assert result.code == 1 and "Traceback" not in result.err, result
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("coffeechat: error: "), result.err
    assert all(word in lines[0] for word in words), (words, lines[0])
    return lines[0]


# -- a plugin's payloads at the edges ----------------------------------------------

_RECORDS_A_CASE = '''

@hookimpl
def register_event_types(register):
    register({cls}.type_name, {cls})


@click.command("{command}")
@click.argument("contact")
@click.argument("case")
@click.pass_obj
def {command}(app, contact, case):
    for event in app.recorder().record(contact, CASES[case]()):
        click.echo(event.id)


@hookimpl
def register_commands(cli):
    cli.add_command({command})
'''


def cases_plugin(head: str, cls: str, command: str) -> str:
    """A plugin's source: ``head`` (its event type ``cls`` and ``CASES``, name -> payload
    maker), then the hooks registering the type and `COMMAND CONTACT CASE`, which records
    that case's payload for the contact."""
    return head + _RECORDS_A_CASE.format(cls=cls, command=command)


def plugin_folder(tmp_path: Path, name: str, source: str) -> tuple[str, ...]:
    """The global options that load plugin ``name`` (pass them before the command)."""
    folder = tmp_path / f"{name}_plugins"
    folder.mkdir()
    (folder / f"{name}.py").write_text(source)
    return ("--plugins-dir", str(folder))


BLOBBY = cases_plugin('''\
"""A plugin whose event type holds what a careless plugin might put in it."""
import math
from typing import Any

import click

from coffeechat import hookimpl
from coffeechat.events import Payload


class Reading(Payload):
    type_name = "blobby.reading"
    touch = True
    value: float = 0.0
    maybe: float | None = None
    count: int = 0
    data: Any = None
    when: str = ""


def _deep(depth):
    top = []
    inner = top
    for _ in range(depth):
        inner.append([])
        inner = inner[0]
    return top


CASES = {
    "big": lambda: Reading(count=2**64 + 5),
    "big63": lambda: Reading(count=2**63),
    "negbig": lambda: Reading(count=-(2**63) - 1),
    "nested_big": lambda: Reading(data={"x": [2**200, -(2**200)], "y": 1e308}),
    "when_hi": lambda: Reading(when="9999-12-31T23:59:59Z", data={"at": "0001-01-01T00:00Z"}),
    "when_lo": lambda: Reading(when="0000-00-00T99:99:99+99:99"),
    "deep": lambda: Reading(data=_deep(900)),
    "keys": lambda: Reading(data={"": 1, "\\u0000": 2, "$.x": 3, "a.b": {"c": None}}),
    "nan": lambda: Reading(value=math.nan),
    "inf": lambda: Reading(value=-math.inf),
    "nan_maybe": lambda: Reading(maybe=math.nan),
    "nan_any": lambda: Reading(data={"x": [math.nan, math.inf]}),
}

''', 'Reading', 'blob')


@pytest.fixture
def blobby(tmp_path: Path) -> tuple[str, ...]:
    return plugin_folder(tmp_path, "blobby", BLOBBY)


def test_a_plugins_payloads_at_the_edges_leave_every_command_working(
        run: InProcessCLI, tmp_path: Path, blobby: tuple[str, ...]) -> None:
    """Ints past 64 bits, 900-deep lists, odd keys and date-like text outside the log's
    years are kept exactly; every command works with the plugin and after it is gone."""
    run.now = NOW
    run.run("add", "Jane Doe", "--company", "Acme")
    kept = ["big", "big63", "negbig", "nested_big", "when_hi", "when_lo", "deep", "keys"]
    for case in kept:
        run.run(*blobby, "blob", "jane", case, COFFEECHAT_LOAD_PLUGINS="blobby")
    # What the plugin could not mean (NaN and infinity in a float field) is refused whole.
    for case in ("nan", "inf"):
        refused = run.run(*blobby, "blob", "jane", case, expect=None,
                          COFFEECHAT_LOAD_PLUGINS="blobby")
        one_line_failure(refused, "blobby.reading", "value: NaN and infinity cannot be stored",
                         "nothing was recorded")
    events = [e for e in run.json("log") if e["type"] == "blobby.reading"]
    assert len(events) == len(kept)
    payloads = [e["data"] for e in events]
    assert payloads[0]["count"] == 2**64 + 5 and payloads[1]["count"] == 2**63
    assert payloads[2]["count"] == -(2**63) - 1
    assert payloads[3]["data"]["x"] == [2**200, -(2**200)]
    assert payloads[4]["when"] == "9999-12-31T23:59:59Z"
    every_command_works(run, tmp_path, plugins=blobby, COFFEECHAT_LOAD_PLUGINS="blobby")
    every_command_works(run, tmp_path)  # the plugin uninstalled: its events stay, unknown
    shown = run.run("show", "jane").out
    assert "unknown type" in shown and "Jane Doe" in shown
    # The export carries the big numbers whole, and imports back into a new store.
    (tmp_path / "again").mkdir()
    again = InProcessCLI(tmp_path / "again")
    again.now = NOW
    again.run("import", "jsonl", str(tmp_path / "out" / "all.jsonl"))
    assert [e["data"] for e in again.json("log") if e["type"] == "blobby.reading"] == payloads
    again.run("verify")


def test_a_nan_the_log_cannot_hold_is_refused_not_turned_into_null(
        run: InProcessCLI, blobby: tuple[str, ...]) -> None:
    run.now = NOW
    run.run("add", "Jane Doe")
    for case in ("nan_maybe", "nan_any"):
        result = run.run(*blobby, "blob", "jane", case, expect=None,
                         COFFEECHAT_LOAD_PLUGINS="blobby")
        assert result.code == 1, (case, result)
        assert "NaN and infinity cannot be stored" in result.err, (case, result)
    assert [e["type"] for e in run.json("log")] == ["contact.added"]


# -- mail and calendar servers that misbehave --------------------------------------

class RawServer:
    """A TCP server on 127.0.0.1 that answers each connection with ``talk(conn)``."""

    def __init__(self, talk: Any) -> None:
        self.talk = talk
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.done = threading.Event()
        self.payloads: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.done.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        try:
            self.talk(self, conn)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.done.set()
        self.sock.close()


def smtp_talk(mode: str) -> Any:
    """An SMTP dialogue that goes wrong: ``drop`` mid-message, ``hang`` at the end of DATA,
    or ``trickle-quit``: the message taken (each counted in ``payloads`` as b"taken"), then
    a goodbye that never ends."""

    def talk(server: RawServer, conn: socket.socket) -> None:
        lines = conn.makefile("rb")
        conn.sendall(b"220 raw.example ESMTP\r\n")
        while True:
            line = lines.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                conn.sendall(b"250-raw.example\r\n250 AUTH PLAIN LOGIN\r\n")
            elif verb == b"AUTH":
                server.payloads.append(line)
                conn.sendall(b"235 2.7.0 ok\r\n")
            elif verb == b"DATA":
                conn.sendall(b"354 go on\r\n")
                if mode == "drop":
                    server.payloads.append(lines.read(40))
                    conn.shutdown(socket.SHUT_RDWR)
                    return
                while lines.readline() not in (b".\r\n", b""):
                    pass
                if mode == "hang":
                    server.done.wait(30)  # (the end of DATA is never answered)
                    return
                server.payloads.append(b"taken")
                conn.sendall(b"250 2.0.0 queued\r\n")
            elif verb == b"QUIT":
                while mode == "trickle-quit" and not server.done.is_set():
                    conn.sendall(b"221-still saying goodbye\r\n")
                    time.sleep(0.2)
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"250 ok\r\n")
    return talk


def trickle_smtp(server: RawServer, conn: socket.socket) -> None:
    """A greeting that never ends: one continuation line every 0.3 s."""
    while not server.done.is_set():
        conn.sendall(b"220-still thinking\r\n")
        time.sleep(0.3)


def trickle_http(server: RawServer, conn: socket.socket) -> None:
    """An answer whose body never ends: a byte every 0.3 s of a 100,000-byte body."""
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 207 Multi-Status\r\nContent-Type: application/xml\r\n"
                 b"Content-Length: 100000\r\n\r\n<?xml version=\"1.0\"?>")
    while not server.done.is_set():
        conn.sendall(b" ")
        time.sleep(0.3)


@pytest.fixture
def servers() -> Iterator[list[RawServer]]:
    started: list[RawServer] = []
    yield started
    for server in started:
        server.close()


def configure(home: Path, *, smtp_port: int = 1, caldav_port: int = 1) -> None:
    (home / "config.toml").write_text("\n".join([
        "[me]", 'name = "Maya López"', 'email = "maya@example.com"',
        "[email]", 'host = "127.0.0.1"', f"port = {smtp_port}", 'security = "none"',
        'username = "maya"', "timeout = 1", f'outbox = "{home / "outbox"}"',
        "[calendar]", f'url = "http://127.0.0.1:{caldav_port}/maya/cal/"',
        'username = "maya"', "timeout = 1", ""]))
    (home / "config.toml").chmod(0o600)


def no_secret_anywhere(home: Path, *texts: str) -> None:
    """The password is in no output and no file; every file made is private."""
    for text in texts:
        assert SECRET not in text
    for path in home.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


@pytest.mark.slow  # real servers, a second of timeout each
def test_a_server_dropping_or_never_answering_data_records_nothing(
        run: InProcessCLI, servers: list[RawServer]) -> None:
    run.now = NOW
    run.run("add", "Jane Doe", "--email", "jane@acme.example", "--company", "Acme")
    run.run("schedule", "jane", "--at", "2026-11-02T15:00:00Z")
    before = run.json("log")
    env = {"COFFEECHAT_SMTP_PASSWORD": SECRET}
    texts: list[str] = []
    for mode in ("drop", "hang"):
        server = RawServer(smtp_talk(mode))
        servers.append(server)
        configure(run.home, smtp_port=server.port)
        for args in (("ask", "jane", "--send"), ("thank", "jane", "--send"),
                     ("today", "--send")):
            started = time.monotonic()
            result = run.run(*args, expect=None, **env)
            assert time.monotonic() - started < 6, (mode, args)
            texts += [result.out, result.err]
            one_line_failure(result, f"127.0.0.1:{server.port}", "nothing was recorded")
        assert server.payloads, mode  # (the login and the message did reach it)
    assert run.json("log") == before
    every_command_works(run, run.home.parent)
    no_secret_anywhere(run.home, *texts)


@pytest.mark.slow  # a process that would hang
def test_a_mail_server_that_trickles_is_given_up_on(cli: CLI, servers: list[RawServer]
                                                    ) -> None:
    cli.now = NOW
    cli.run("add", "Jane Doe", "--email", "jane@acme.example")
    server = RawServer(trickle_smtp)
    servers.append(server)
    configure(cli.home, smtp_port=server.port)
    ended = bounded(cli, "ask", "jane", "--send", COFFEECHAT_SMTP_PASSWORD=SECRET)
    assert ended is not None, "ask --send was still waiting 6 s after a timeout of 1 s"
    one_line_failure(ended, "127.0.0.1")
    assert [e["type"] for e in cli.json("log")] == ["contact.added"]


@pytest.mark.slow  # a process that would hang
def test_a_calendar_server_that_trickles_is_given_up_on(cli: CLI, servers: list[RawServer]
                                                        ) -> None:
    cli.now = NOW
    cli.run("add", "Jane Doe")
    cli.run("schedule", "jane", "--at", "2026-11-10T15:00:00Z")
    server = RawServer(trickle_http)
    servers.append(server)
    configure(cli.home, caldav_port=server.port)
    ended = bounded(cli, "calendar", "push", COFFEECHAT_CALDAV_PASSWORD=SECRET)
    assert ended is not None, "calendar push was still waiting 6 s after a timeout of 1 s"
    one_line_failure(ended, "timed out")


def bounded(cli: CLI, *args: str, **env: str) -> Result | None:
    """Run in a subprocess given 6 s: its result, or None when it had to be stopped."""
    try:
        proc = subprocess.run([sys.executable, "-m", "coffeechat", *args], capture_output=True,
                              text=True, timeout=6, env=cli.env(**env))
    except subprocess.TimeoutExpired:
        return None
    return Result(proc.returncode, proc.stdout, proc.stderr)


# -- a notes folder full of traps --------------------------------------------------

def front(text: str) -> bytes:
    return b"---\n" + text.encode() + b"\n---\nbody text\n"


HOSTILE_NOTES: dict[bytes, bytes] = {
    b"bad-\xff\xfe-name.md": front("type: note\ncontact: Jane Doe"),
    b"new\nline.md": front("type: note\ncontact: Jane Doe"),
    b"latin1.md": b"---\ntype: note\ncontact: Jane \xe9 Doe\n---\n",
    b"nul.md": front("type: note\ncontact: Jane\0 Doe"),
    b"pyobject.md": front("type: note\ncontact: !!python/object/apply:os.system ['true']"),
    b"binary.md": front("type: note\ncontact: !!binary aGVsbG8="),
    b"set.md": front("type: note\ncontact: !!set {Jane Doe}"),
    b"list.md": front("type: note\ncontact: [Jane Doe, Bob]"),
    b"null.md": front("type: note\ncontact: null"),
    b"int.md": front("type: note\ncontact: 12"),
    b"bigdate.md": front("type: note\ncontact: Jane Doe\ndate: 99999999999999999999999"),
    b"month13.md": front("type: note\ncontact: Jane Doe\ndate: 2026-13-45"),
    b"offset.md": front("type: note\ncontact: Jane Doe\ndate: 2026-11-20 10:00:00+99:00"),
    b"nandate.md": front("type: meeting\ncontact: Jane Doe\ndate: .nan"),
    b"tab.md": front("type: note\n\tcontact: Jane Doe"),
    b"deep.md": front("type: meeting\ncontact: Jane Doe\ntakeaways: " + "[" * 3000 + "]" * 3000),
    b"unclosed.md": b"---\ntype: note\ncontact: Jane Doe\n",
    b"empty.md": front("type: note\ncontact: ''"),
    b"dupe.md": front("type: note\ncontact: Jane Doe\ncontact: Nobody Known"),
}
GOOD_NOTES: dict[bytes, bytes] = {
    b"jane.md": front("type: contact\ncontact: Jane Doe\ncompany: Acme"),
    b"bom.md": b"\xef\xbb\xbf" + front("type: note\ncontact: Jane Doe"),
    b"crlf.md": b"---\r\ntype: note\r\ncontact: Jane Doe\r\n---\r\nwindows\r\n",
    b"tagged.md": front("type: !!str note\ncontact: !!str Jane Doe"),
    b"quoted.md": front('"contact": Jane Doe\ntype: note'),
    b"merged.md": front("<<: {contact: Jane Doe, type: checkin}"),
}


def plant(folder: Path) -> None:
    for name, data in {**HOSTILE_NOTES, **GOOD_NOTES}.items():
        with open(os.path.join(os.fsencode(folder), name), "wb") as out:
            out.write(data)
    os.symlink("loop-b.md", folder / "loop-a.md")
    os.symlink("loop-a.md", folder / "loop-b.md")
    os.symlink("self.md", folder / "self.md")
    os.symlink("nowhere.md", folder / "dangling.md")
    os.symlink("/tmp", folder / "dir-link.md")
    os.symlink("/dev/zero", folder / "zero.md")
    (folder / "a-folder.md").mkdir()
    os.mkfifo(folder / "pipe.md")


def test_a_folder_of_hostile_notes_costs_one_line_each_and_records_the_rest(
        run: InProcessCLI, tmp_path: Path) -> None:
    run.now = NOW
    notes = tmp_path / "notes"
    notes.mkdir()
    plant(notes)
    result = run.run("watch", str(notes), "--once", expect=1)
    errors = result.err.splitlines()
    assert all(line.startswith("coffeechat: note error: ") for line in errors), result.err
    named = {line.split(": ")[2].split(":")[0] for line in errors}
    expected = {os.fsencode(n).decode("utf-8", "backslashreplace").replace("\n", "\\x0a")
                for n in HOSTILE_NOTES}
    expected |= {"loop-a.md", "loop-b.md", "self.md", "zero.md"}
    assert expected <= named, sorted(expected - named)
    assert not {n.decode() for n in GOOD_NOTES} & named
    sources = {e["source"] for e in run.json("log")}
    assert {f"notes:{n.decode()}" for n in GOOD_NOTES} <= sources
    assert not any(s.startswith("notes:") and s[6:].encode() in HOSTILE_NOTES for s in sources)
    # Read again: nothing new recorded, the same errors.
    count = run.count()
    again = run.run("watch", str(notes), "--once", expect=1)
    assert sorted(again.err.splitlines()) == sorted(errors) and run.count() == count
    every_command_works(run, tmp_path)
    assert (notes / "a-folder.md").is_dir() and (notes / "loop-a.md").is_symlink()


def test_views_the_user_scribbled_over_are_written_again(run: InProcessCLI, tmp_path: Path
                                                          ) -> None:
    """due.md filled with 3 MB of random bytes, contacts.md given NUL and invalid UTF-8,
    a contact page emptied: the next read writes each view back, and records nothing."""
    run.now = NOW
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "jane.md").write_bytes(front("type: contact\ncontact: Jane Doe\ndate: 2026-11-01"))
    run.run("watch", str(notes), "--once")
    views = notes / "_coffeechat"
    written = {p: p.read_bytes() for p in views.rglob("*.md")}
    (views / "due.md").write_bytes(os.urandom(3_000_000))
    with open(views / "contacts.md", "ab") as out:
        out.write(b"\0\xff\xfe garbage\n")
    (views / "contacts" / "jane-doe.md").write_bytes(b"")
    count = run.count()
    run.run("watch", str(notes), "--once")
    assert {p: p.read_bytes() for p in views.rglob("*.md")} == written
    assert run.count() == count


def test_a_note_with_an_anchor_and_a_quoted_contact_key_is_not_silently_dropped(
        run: InProcessCLI, tmp_path: Path) -> None:
    run.now = NOW
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "jane.md").write_bytes(front("type: contact\ncontact: Jane Doe"))
    (notes / "meeting.md").write_bytes(front(
        'type: meeting\n"contact": Jane Doe\ndate: 2026-11-01\n'
        "takeaways:\n  - &sql learn SQL first"))
    result = run.run("watch", str(notes), "--once", expect=None)
    assert result.code == 1 and "meeting.md:6: YAML anchors" in result.err, result
    # (a merge key may bring the contact key: such a note is refused the same way)
    (notes / "meeting.md").write_bytes(front(
        "base: &base {contact: Jane Doe, type: meeting}\n<<: *base\ndate: 2026-11-01"))
    result = run.run("watch", str(notes), "--once", expect=None)
    assert result.code == 1 and "meeting.md:2: YAML anchors" in result.err, result
    # (the user's own front matter, no contact key anywhere: theirs, left alone)
    (notes / "meeting.md").write_bytes(front("tags: [&t a, *t]\nnested: {contact: x}"))
    assert run.run("watch", str(notes), "--once").code == 0


@pytest.mark.slow  # two processes at once
def test_two_watchers_reading_one_folder_at_once_record_each_note_once(
        cli: CLI, tmp_path: Path) -> None:
    cli.now = NOW
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "jane.md").write_bytes(front("type: contact\ncontact: Jane Doe\ncompany: Acme"))
    for i in range(60):
        (notes / f"m{i:02}.md").write_bytes(front(
            f"type: meeting\ncontact: Jane Doe\ndate: 2026-10-{1 + i % 28:02} {8 + i % 10:02}:00\n"
            f"takeaways:\n  - point {i}\ncommitments:\n  - text: send thing {i}\n"
            "    due: 2026-12-01"))
    watchers = [subprocess.Popen([sys.executable, "-m", "coffeechat", "watch", str(notes),
                                  "--once"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, env=cli.env()) for _ in range(2)]
    outcomes = [(w.wait(timeout=60), *w.communicate()) for w in watchers]
    assert [code for code, _, _ in outcomes] == [0, 0], outcomes
    log = cli.json("log")
    held = [e for e in log if e["type"] == "meeting.held"]
    assert len(held) == 60
    assert len([e for e in log if e["type"] == "commitment.made"]) == 60
    # A third read finds nothing to do; the log checks out.
    assert "recorded 0 note(s)" in cli.run("watch", str(notes), "--once").out
    cli.run("verify")


def test_views_never_write_over_a_file_coffeechat_did_not_write(run: InProcessCLI,
                                                                 tmp_path: Path) -> None:
    run.now = NOW
    notes, mine = tmp_path / "notes", tmp_path / "mine"
    notes.mkdir()
    mine.mkdir()
    (notes / "jane.md").write_bytes(front("type: contact\ncontact: Jane Doe\ndate: 2026-11-01"))
    own = {"contacts.md": "# my own contact list\n", "due.md": "- [ ] water the plants\n",
           "report.html": "<h1>my site</h1>\n"}
    for name, text in own.items():
        (mine / name).write_text(text)
    result = run.run("watch", str(notes), "--once", "--views", str(mine), expect=None)
    assert {name: (mine / name).read_text() for name in own} == own, result
    assert result.code == 0 and "not writing due.md: a file coffeechat did not write" \
        in result.err
    assert (mine / "referrals.md").read_text().startswith("<!-- written by coffeechat")
    (mine / "due.md").unlink()  # (moved away: the view is written there)
    run.run("watch", str(notes), "--once", "--views", str(mine))
    assert "Jane Doe" in (mine / "contacts" / "jane-doe.md").read_text()
    assert (mine / "due.md").read_text().startswith("<!-- written by coffeechat")


class _Bomb:
    """A CalDAV answer that is an XML entity bomb (a billion laughs)."""

    @staticmethod
    def talk(server: RawServer, conn: socket.socket) -> None:
        conn.recv(65536)
        entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
            f'<!ENTITY {chr(98 + i)} "{f"&{chr(97 + i)};" * 10}">' for i in range(9))
        body = (f'<?xml version="1.0"?><!DOCTYPE d [{entities}]>'
                '<d:multistatus xmlns:d="DAV:"><d:response><d:href>&j;</d:href>'
                "</d:response></d:multistatus>").encode()
        conn.sendall(b"HTTP/1.1 207 Multi-Status\r\nContent-Type: application/xml\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)


def test_a_calendar_server_answering_an_xml_bomb_is_one_line(
        run: InProcessCLI, servers: list[RawServer]) -> None:
    run.now = NOW
    run.run("add", "Jane Doe")
    run.run("schedule", "jane", "--at", "2026-11-10T15:00:00Z")
    before = run.json("log")
    server = RawServer(_Bomb.talk)
    servers.append(server)
    configure(run.home, caldav_port=server.port)
    started = time.monotonic()
    result = run.run("calendar", "push", expect=None, COFFEECHAT_CALDAV_PASSWORD=SECRET)
    assert time.monotonic() - started < 5
    one_line_failure(result, f"http://127.0.0.1:{server.port}/maya/cal/")
    assert run.json("log") == before
    no_secret_anywhere(run.home, result.out, result.err)


def until(check: Any, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.slow  # a real watcher process
def test_a_watched_folder_deleted_then_a_file_in_its_place_then_a_folder_again(
        cli: CLI, tmp_path: Path) -> None:
    """The watcher says one line for each step, never dies, keeps the notes recorded
    while there is no folder, and reads the new folder whole when one comes back."""
    cli.now = NOW
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "jane.md").write_bytes(front("type: contact\ncontact: Jane Doe\ndate: 2026-11-01"))
    err = tmp_path / "watch.err"
    with open(err, "w") as errors:
        watcher = subprocess.Popen([sys.executable, "-m", "coffeechat", "watch", str(notes)],
                                   stdout=subprocess.DEVNULL, stderr=errors, env=cli.env())
    try:
        until(lambda: (notes / "_coffeechat" / "due.md").exists(), "the first views")
        for path in sorted(notes.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        notes.rmdir()
        until(lambda: "is gone" in err.read_text(), "the folder's going")
        notes.write_text("a file where the folder was\n")
        time.sleep(1.5)  # (a tick or so: the watcher must not take the file for a folder)
        assert watcher.poll() is None and "Traceback" not in err.read_text()
        assert {e["source"] for e in cli.json("log")} == {"notes:jane.md"}
        notes.unlink()
        notes.mkdir()
        (notes / "bob.md").write_bytes(front("type: contact\ncontact: Bob Roe\ndate: 2026-11-01"))
        until(lambda: "Bob Roe" in _read(notes / "_coffeechat" / "contacts.md"),
              "the new folder's views")
        assert watcher.poll() is None
    finally:
        watcher.send_signal(2)
        code = watcher.wait(timeout=20)
    said = err.read_text()
    assert code == 0 and "Traceback" not in said, said
    assert said.count("is gone") == 1 and said.count("is back") == 1, said
    names = {c["name"] for c in cli.json("contacts")}
    assert names == {"Bob Roe"}  # (jane.md is not in the new folder: it was deleted)
    cli.run("verify")


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""

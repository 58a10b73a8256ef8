"""The email channel against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.conftest import CLI

PASSWORD = "s3cret-Pa55"


class Inbox:
    """What the server received, and what it should answer."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.answer = "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.answer.startswith("250"):
            self.messages.append((envelope.mail_from, envelope.rcpt_tos,
                                  email.message_from_bytes(envelope.content,
                                                           policy=email.policy.default)))
        return self.answer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any
                 ) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False,
                      message=None if ok else "535 5.7.8 Authentication credentials invalid")


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box, port = Inbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


def configure(cli: CLI, port: int, security: str = "none", **extra: str) -> None:
    lines = ['[me]', 'name = "Maya López"', 'email = "maya@example.com"', '[email]',
             'host = "127.0.0.1"', f"port = {port}", f'security = "{security}"']
    lines += [f'{k} = "{v}"' for k, v in extra.items()]
    (cli.home / "config.toml").write_text("\n".join(lines) + "\n")


@pytest.fixture
def jane(run: CLI) -> CLI:
    run.ids("add", "Zoë Ångström", "--company", "Acme", "--email", "zoe@acme.example")
    return run


def recorded(cli: CLI, kind: str) -> list[dict[str, Any]]:
    return [e for e in cli.json("log") if e["type"] == kind]


def test_ask_and_thank_are_sent_then_recorded(jane: CLI, inbox: tuple[Inbox, int]) -> None:
    box, port = inbox
    configure(jane, port)
    result = jane.run("ask", "zoë", "--send")
    assert result.out.startswith(f"sent: 127.0.0.1:{port} accepted <")
    [(sender, rcpts, message)] = box.messages
    assert (sender, rcpts) == ("maya@example.com", ["zoe@acme.example"])
    assert message["From"] == "Maya López <maya@example.com>"
    assert message["To"] == "Zoë Ångström <zoe@acme.example>"
    assert message["Subject"] == "Would you have 20 minutes for a conversation?"
    assert message["Message-ID"].startswith("<") and message["Date"].endswith("+0000")
    assert message.get_content().startswith("Hi Zoë,")
    raw = message.as_bytes()
    assert b"=?utf-8?" in raw and "Ångström".encode() not in raw.split(b"\n\n")[0]
    [event] = recorded(jane, "request.sent")
    assert event["data"]["subject"] == message["Subject"]
    assert event["data"]["body"] == message.get_content().replace("\r\n", "\n")

    jane.now = "2026-11-05T10:00:00Z"
    jane.ids("met", "zoë", "--takeaway", "ship one end-to-end project")
    jane.run("thank", "zoë", "--send")
    thanks = box.messages[-1][2]
    assert "ship one end-to-end project" in thanks.get_content()
    assert len(recorded(jane, "thanks.sent")) == 1


@pytest.mark.parametrize("answer", ["550 No such user here", "451 Try again later"])
def test_a_refusing_server_records_nothing(jane: CLI, inbox: tuple[Inbox, int],
                                          answer: str) -> None:
    box, port = inbox
    box.answer = answer
    configure(jane, port)
    before = jane.count()
    result = jane.run("ask", "zoë", "--send", expect=1)
    [line] = result.err.splitlines()
    assert "did not take the message" in line and answer.split()[0] in line
    assert jane.count() == before


def test_a_server_without_starttls_says_what_to_set(jane: CLI, inbox: tuple[Inbox, int]
                                                   ) -> None:
    box, port = inbox  # (a plain local server: no STARTTLS, the default security)
    configure(jane, port, "starttls")
    before = jane.count()
    [line] = jane.run("ask", "zoë", "--send", expect=1).err.splitlines()
    assert line == (f"coffeechat: error: --send: the mail server at 127.0.0.1:{port} said: "
                    "STARTTLS extension not supported by server; set [email] security (and "
                    'username) to what it offers: "tls", or "none" for a server on this '
                    "computer; nothing was recorded")
    assert box.messages == [] and jane.count() == before


def test_no_server_records_nothing(jane: CLI) -> None:
    configure(jane, free_port())
    before = jane.count()
    result = jane.run("thank", "zoë", "--send", expect=1)
    assert "did not take the message" in result.err and "nothing was recorded" in result.err
    assert jane.count() == before


def test_a_draft_is_a_correct_eml_and_records_nothing(jane: CLI, tmp_path: Path) -> None:
    configure(jane, free_port(), outbox=str(tmp_path / "outbox"))
    before = jane.count()
    result = jane.run("ask", "zoë", "--draft")
    path = Path(result.out.strip().removeprefix("draft written to "))
    assert path.parent == tmp_path / "outbox" and path.suffix == ".eml"
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    for header in ("Date", "Message-ID", "From", "To", "Subject"):
        assert message[header], header
    assert message["To"] == "Zoë Ångström <zoe@acme.example>"
    assert message.get_content_charset() == "utf-8"
    assert b"\r\n" in path.read_bytes()
    assert jane.count() == before


def test_header_injection_is_impossible(run: CLI, tmp_path: Path) -> None:
    # A name with a line break cannot come in through the CLI; an imported log
    # could carry one. It must not become a header.
    line = ('{"id":"0190aaaa-0000-7000-8000-000000000009","stream":"contact:mallory",'
            '"type":"contact.added","occurred_at":"2026-11-01T00:00:00Z",'
            '"recorded_at":"2026-11-01T00:00:00Z","source":"cli",'
            '"data":{"name":"Mallory\\r\\nBcc: everyone@example.com",'
            '"email":"mallory@example.com"}}')
    (tmp_path / "evil.jsonl").write_text(line + "\n")
    run.run("import", "jsonl", str(tmp_path / "evil.jsonl"))
    configure(run, free_port(), outbox=str(tmp_path / "outbox"))
    result = run.run("ask", "mallory", "--draft", expect=1)
    assert "line break" in result.err
    assert not (tmp_path / "outbox").exists() or not list((tmp_path / "outbox").iterdir())
    user = run.home / "templates"
    user.mkdir()
    (user / "evil.j2").write_text("Subject: hi\rBcc: everyone@example.com\n\nbody\n")
    run.ids("add", "Jane Doe", "--email", "jane@example.com")
    result = run.run("ask", "jane", "--template", "evil", "--draft")
    draft = Path(result.out.strip().removeprefix("draft written to "))
    message = email.message_from_bytes(draft.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "hi" and message["Bcc"] is None  # the rest is body text


def test_starttls_with_login(jane: CLI, certificate: tuple[Path, Path]) -> None:
    box, port = Inbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port,
                            tls_context=server_context(certificate), require_starttls=True,
                            authenticator=authenticate, auth_require_tls=True)
    controller.start()
    try:
        configure(jane, port, "starttls", username="maya", ca_file=str(certificate[0]))
        missing = jane.run("ask", "zoë", "--send", expect=1)
        assert "set COFFEECHAT_SMTP_PASSWORD" in missing.err
        wrong = jane.run("ask", "zoë", "--send", expect=1, COFFEECHAT_SMTP_PASSWORD="nope")
        assert "did not accept the login for maya" in wrong.err and "nope" not in wrong.err
        ok = jane.run("ask", "zoë", "--send", COFFEECHAT_SMTP_PASSWORD=PASSWORD)
        assert PASSWORD not in ok.out + ok.err
        assert len(box.messages) == 1 and len(recorded(jane, "request.sent")) == 1
    finally:
        controller.stop()


def test_implicit_tls(jane: CLI, certificate: tuple[Path, Path]) -> None:
    box, port = Inbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port,
                            ssl_context=server_context(certificate))
    controller.start()
    try:
        configure(jane, port, "tls", ca_file=str(certificate[0]))
        jane.run("checkin", "zoë", "--send")
        assert box.messages[0][2]["Subject"] == "Checking in"
        assert len(recorded(jane, "checkin.done")) == 1
        configure(jane, port, "tls")  # without trusting the test CA: refused, not sent
        assert "CERTIFICATE_VERIFY_FAILED" in jane.run("checkin", "zoë", "--send",
                                                       expect=1).err
    finally:
        controller.stop()


# Two writers that name their draft at the same moment. Every file operation is
# slowed down, so that each looks for a free name while the other is writing.
RACE = """
import functools, os, sys, time
from coffeechat.cli.main import main

def slowed(call):
    @functools.wraps(call)
    def slow(*args, **kwargs):
        time.sleep(0.2)
        return call(*args, **kwargs)
    return slow

ready, go = sys.argv[1:3]
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.001)
for name in ("open", "replace", "rename", "link"):
    setattr(os, name, slowed(getattr(os, name)))
for name in ("exists", "lexists", "isfile"):
    setattr(os.path, name, slowed(getattr(os.path, name)))
main(["ask", "zo\u00eb", "--draft"])
"""


@pytest.mark.slow  # two real processes
def test_two_drafts_written_in_the_same_second_are_both_kept(jane: CLI, tmp_path: Path
                                                             ) -> None:
    configure(jane, free_port(), outbox=str(tmp_path / "outbox"))
    ready = [tmp_path / f"ready-{n}" for n in range(2)]
    writers = [subprocess.Popen([sys.executable, "-c", RACE, str(flag), str(tmp_path / "go")],
                                env=jane.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for flag in ready]
    try:
        deadline = time.monotonic() + 60
        while not all(flag.exists() for flag in ready):
            assert time.monotonic() < deadline, "the writers did not start"
            assert all(w.poll() is None for w in writers), [w.communicate() for w in writers]
            time.sleep(0.01)
        (tmp_path / "go").touch()
        done = [w.communicate(timeout=60) for w in writers]
    finally:
        for writer in writers:
            writer.kill()
    assert [w.returncode for w in writers] == [0, 0], done
    paths = sorted(Path(out.strip().removeprefix("draft written to ")) for out, _err in done)
    assert len(set(paths)) == 2, paths
    assert sorted((tmp_path / "outbox").iterdir()) == paths  # both there, nothing else
    for path in paths:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert message["To"] == "Zoë Ångström <zoe@acme.example>"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


class Grumpy(Inbox):
    """Takes the message, then answers QUIT with an error, or not at all."""

    def __init__(self, quit_answer: str | None) -> None:
        super().__init__()
        self.quit_answer = quit_answer

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        if self.quit_answer is None:
            await asyncio.sleep(30)  # (the client gives up long before)
        return self.quit_answer or "221 Bye"


@pytest.mark.parametrize("quit_answer", ["502 5.5.1 Not now", None])
def test_a_message_the_server_took_is_recorded_whatever_quit_brings(
        jane: CLI, quit_answer: str | None) -> None:
    box, port = Grumpy(quit_answer), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        configure(jane, port)
        with (jane.home / "config.toml").open("a") as config:
            config.write("timeout = 1\n")
        started = time.monotonic()
        result = jane.run("ask", "zoë", "--send")
        assert time.monotonic() - started < 10
        assert len(box.messages) == 1 and len(recorded(jane, "request.sent")) == 1
        assert result.out.startswith(f"sent: 127.0.0.1:{port} accepted <")
        assert "saying goodbye failed" in result.out and "the message went out" in result.out
        if quit_answer:
            assert "502 5.5.1 Not now" in result.out
        assert len(result.out.strip().splitlines()) == 2  # the receipt, the event
    finally:
        controller.stop()

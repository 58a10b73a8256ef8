"""Session 7 review: a privacy audit of every file coffeechat makes and every output.

Part 1, files: under a permissive umask (000 and 022) coffeechat is made to
create every file and folder it can (the store and its WAL files, the head,
the plugin cache, drafts and the outbox, backups, every export, the report,
the views, a reset head), and each must be 0600 (folders 0700), with no
temporary file left behind. A file the user made 0644 and coffeechat writes
over is tightened to 0600.

Part 2, credentials: the SMTP server (aiosmtpd) and the CalDAV server
(Radicale, and a hand-made HTTP server for the answers Radicale never gives)
fail every way they can, with the password given as the docs allow (the
environment, a `user:password@` in [calendar] url). The password, and the
forms it travels in (base64 in AUTH PLAIN/LOGIN and in HTTP Basic), must never
appear in stdout, stderr, `--json`, the log, the views, the report, what
`plugins`, `paths` and `verify` print, a plugin trace, or any file coffeechat
keeps other than config.toml.
"""

from __future__ import annotations

import base64
import os
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.conftest import CLI, InProcessCLI, Result
from tests.test_calendar import PASSWORD as RADICALE_PASSWORD
from tests.test_calendar import radicale  # noqa: F401 - a fixture
from tests.test_email import certificate, free_port, server_context  # noqa: F401 - a fixture

NOW = "2026-11-02T09:00:00Z"


# -- part 1: files ---------------------------------------------------------------------------

@pytest.fixture(params=[0o000, 0o022], ids=["umask000", "umask022"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """A permissive umask for the whole test (in-process runs and the subprocesses alike)."""
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def tree(root: Path) -> dict[str, int]:
    """Every path under ``root`` (itself too): its mode, files and folders alike."""
    return {str(p.relative_to(root.parent)): mode(p) for p in [root, *root.rglob("*")]}


def loose(root: Path, *, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Whatever under ``root`` is not private (files 0600, folders 0700), or is a leftover."""
    found = {}
    for path in [root, *root.rglob("*")]:
        if path.name in skip:
            continue
        want = 0o700 if path.is_dir() else 0o600
        if path.is_symlink() or mode(path) != want:
            found[str(path)] = oct(mode(path))
        if path.name.endswith((".partial", ".new", "-journal")):
            found[str(path)] = "a temporary file left behind"
    return found


def test_every_file_and_folder_a_session_makes_is_private(tmp_path: Path, umask: int,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    home = tmp_path / "new" / "home"  # COFFEECHAT_HOME, and its parent, not there yet
    run = InProcessCLI(home)
    run.now = NOW
    run.run("init")
    assert home.is_dir()

    outbox = tmp_path / "mail" / "coffeechat" / "drafts"  # [email] outbox, made by coffeechat
    (home / "config.toml").write_text(
        f'[me]\nname = "Maya López"\nemail = "maya@example.com"\n'
        f'[email]\noutbox = "{outbox}"\n')
    run.run("add", "Jane Doe", "--email", "jane@acme.example", "--birthday", "1990-03-04")
    run.run("add", "Leo Park", "--linkedin", "https://www.linkedin.com/in/leo-park")
    run.run("ask", "jane")
    run.run("schedule", "jane", "--at", "2026-11-05T15:00:00Z", "--where", "Blue Bottle")
    run.now = "2026-11-06T09:00:00Z"
    run.run("met", "jane", "--notes", "portfolio review", "--takeaway", "ship small",
            "--commitment", "send my portfolio", "--due", "2026-11-10")
    run.run("thank", "jane", "--draft")                    # an .eml draft
    run.run("ask", "leo", "--via", "linkedin", "--draft")  # a .txt draft

    mine = tmp_path / "mine"  # a folder the user made: its own mode is theirs
    mine.mkdir()
    run.run("export", "jsonl", "--out", str(mine / "log.jsonl"))
    run.run("export", "ics", "--out", str(mine / "calendar.ics"))
    run.run("report", "--out", str(mine / "named.html"), "--contacts", "2")
    monkeypatch.chdir(mine)
    run.run("report")  # the default: report.html where you are
    run.run("due", "--as-of", "2026-11-03")
    run.run("report", "--as-of", "2026-11-03", "--out", str(mine / "then.html"))
    backups = tmp_path / "backups" / "2026" / "november"  # made by `backup`
    run.run("backup", str(backups / "copy.db"))
    run.run("verify", "--reset-head")
    run.run("rebuild")

    notes = tmp_path / "notes"
    notes.mkdir(mode=0o700)  # private notes: the views inside follow it
    (notes / "leo.md").write_text("---\ncontact: Leo Park\n---\nMet at the meetup.\n")
    run.run("watch", str(notes), "--once")
    views = tmp_path / "elsewhere" / "views"  # views outside the notes folder: private
    run.run("watch", str(notes), "--once", "--views", str(views))

    assert {p.name for p in mine.iterdir()} == {"log.jsonl", "calendar.ics", "named.html",
                                                "report.html", "then.html"}
    assert {p.name for p in outbox.iterdir()} and len(list(outbox.iterdir())) == 2
    assert (home / ".cache" / "entry-points.json").is_file()
    assert (backups / "copy.db.head").is_file() and (home / "coffeechat.db.head").is_file()
    assert (views / "contacts").is_dir() and (views / "report.html").is_file()
    assert (notes / "_coffeechat" / "report.html").is_file()
    problems: dict[str, str] = {}
    for root in (tmp_path / "new", tmp_path / "mail", tmp_path / "backups",
                 tmp_path / "elsewhere", notes / "_coffeechat"):
        problems |= loose(root, skip=("config.toml",))
    for path in mine.iterdir():
        problems |= loose(path)
    assert problems == {}, tree(tmp_path)


def test_the_store_s_wal_files_are_private_while_it_is_open(tmp_path: Path, umask: int
                                                            ) -> None:
    from coffeechat.store import open_store

    run = InProcessCLI(tmp_path / "home")
    run.now = NOW
    run.run("add", "Jane Doe")
    store = open_store(run.db)
    try:
        store.count()
        wal = [Path(f"{run.db}{suffix}") for suffix in ("-wal", "-shm")]
        assert all(p.exists() for p in wal)
        assert {mode(p) for p in [run.db, *wal]} == {0o600}
    finally:
        store.close()


class Default(InProcessCLI):
    """The CLI with neither COFFEECHAT_HOME nor COFFEECHAT_DB: the XDG folders under HOME."""

    def env(self, **extra: str) -> dict[str, str]:
        env = super().env(**extra)
        for key in ("COFFEECHAT_HOME", "COFFEECHAT_DB", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
                    "XDG_CACHE_HOME"):
            env.pop(key, None)
        env["HOME"] = str(self.home)
        return env


def test_the_default_folders_a_first_run_makes_are_private(tmp_path: Path, umask: int) -> None:
    user = tmp_path / "user"
    user.mkdir()  # the user's home: theirs
    run = Default(user)
    run.now = NOW
    run.run("add", "Leo Park")
    run.run("ask", "leo", "--via", "linkedin", "--draft")
    data = user / ".local" / "share" / "coffeechat"
    assert (data / "coffeechat.db").is_file() and (data / "outbox").is_dir()
    assert (user / ".cache" / "coffeechat" / "entry-points.json").is_file()
    # Folders coffeechat made (.local and .local/share too, when they were missing) are 0700.
    problems = loose(user / ".local") | loose(user / ".cache")
    assert problems == {}, tree(user)


@pytest.mark.parametrize("command", [
    ("export", "jsonl", "--out"), ("export", "ics", "--out"), ("report", "--out"),
    ("backup", "--force"),
])
def test_a_file_the_user_made_0644_is_tightened_when_written_over(
        run: InProcessCLI, tmp_path: Path, command: tuple[str, ...]) -> None:
    run.now = NOW
    run.run("add", "Jane Doe", "--email", "jane@acme.example")
    target = tmp_path / "theirs"
    target.write_text("old\n")
    target.chmod(0o644)
    run.run(*command, str(target)) if command[0] != "backup" else \
        run.run("backup", str(target), "--force")
    assert target.read_bytes() != b"old\n" and mode(target) == 0o600


def test_export_jsonl_does_not_write_through_a_partial_file_it_did_not_make(
        run: InProcessCLI, tmp_path: Path) -> None:
    run.now = NOW
    run.run("add", "Jane Doe", "--email", "jane@acme.example")
    elsewhere = tmp_path / "someone-elses.txt"
    elsewhere.write_text("")
    elsewhere.chmod(0o644)
    out = tmp_path / "shared" / "log.jsonl"
    out.parent.mkdir()
    # (at the name it used to write through, and at the one it writes now: with this
    # process's id, as the in-process CLI runs in this process)
    (tmp_path / "shared" / "log.jsonl.partial").symlink_to(elsewhere)
    (tmp_path / "shared" / f"log.jsonl.{os.getpid()}.partial").symlink_to(elsewhere)
    run.run("export", "jsonl", "--out", str(out))
    assert b"jane" not in elsewhere.read_bytes()
    assert not out.is_symlink() and mode(out) == 0o600 and b"jane@acme.example" in out.read_bytes()
    # (the link at its own temporary name was taken away, not followed; the other is not its)
    assert sorted(p.name for p in out.parent.iterdir()) == ["log.jsonl", "log.jsonl.partial"]


def test_under_umask_000_a_separate_process_makes_private_files_too(cli: CLI, tmp_path: Path
                                                                    ) -> None:
    old = os.umask(0)
    try:
        cli.run("add", "Jane Doe")
        cli.run("export", "jsonl", "--out", str(tmp_path / "log.jsonl"))
        cli.run("backup", str(tmp_path / "new" / "copy.db"))
    finally:
        os.umask(old)
    made = [*cli.home.iterdir(), tmp_path / "new"]  # (the home folder is the test's own)
    assert {"coffeechat.db", ".cache"} <= {p.name for p in made}
    assert [loose(p) for p in made] == [{}] * len(made)
    assert mode(tmp_path / "log.jsonl") == 0o600


# -- part 2: credentials ---------------------------------------------------------------------

USER = "maya"
SMTP_SECRET = "Smtp-S3cret-7f1q"
CALDAV_WRONG = "Cal-Wrong-S3cret-9x"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def forms(secret: str) -> set[str]:
    """The secret as typed, and as it travels: AUTH PLAIN, AUTH LOGIN, HTTP Basic."""
    return {secret, b64(f"\0{USER}\0{secret}"), b64(secret), b64(f"{USER}:{secret}")}


def shown_anywhere(texts: list[str], secrets: set[str]) -> list[str]:
    return [f"{secret!r} in {text[:300]!r}" for text in texts for secret in secrets
            if secret in text]


def one_line_failure(result: Result, *words: str) -> str:
    """A refused command: exit 1, no traceback, one line on stderr (after any trace lines)."""
    assert result.code == 1 and "Traceback" not in result.err, result
    lines = [x for x in result.err.splitlines() if not x.startswith("coffeechat: hook ")]
    assert len(lines) == 1 and lines[0].startswith("coffeechat: error: "), result.err
    assert all(word in lines[0] for word in words), (words, lines[0])
    return lines[0]


def surfaces(run: InProcessCLI, tmp_path: Path, **env: str) -> list[str]:
    """What every other way out shows, with the secret still in the environment.

    The log and every read of it, the views and report.html, what prints the
    setup (plugins, paths, verify), a plugin trace, and the bytes of every
    file coffeechat keeps (config.toml aside: the user wrote it).
    """
    texts = []
    for args in (("export", "jsonl"), ("log", "--json"), ("contacts", "--json"), ("due",),
                 ("today",), ("export", "ics"), ("report", "--out", "-"), ("plugins",),
                 ("plugins", "--json"), ("paths",), ("paths", "--json"), ("verify",),
                 ("stats", "--json")):
        result = run.run(*args, COFFEECHAT_TRACE_PLUGINS="1", **env)
        texts += [result.out, result.err]
    notes = tmp_path / "notes"
    notes.mkdir(exist_ok=True)
    result = run.run("watch", str(notes), "--once", "--views", str(tmp_path / "views"), **env)
    texts += [result.out, result.err]
    kept = [path for root in (run.home, tmp_path / "views", tmp_path / "outbox")
            for path in root.rglob("*") if path.is_file() and path.name != "config.toml"]
    names = {path.name for path in kept}
    assert {"coffeechat.db", "coffeechat.db.head", "entry-points.json", "report.html",
            "jane-doe.md"} <= names
    return texts + [path.read_bytes().decode(errors="replace") for path in kept]


class Mailroom:
    """An SMTP server's answers: it takes mail, or quotes the login back after it."""

    def __init__(self, quote_login_after_auth: bool = False) -> None:
        self.quote = quote_login_after_auth
        self.login = ""
        self.messages = 0

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                     data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        user, password = data.login.decode(), data.password.decode()
        plain = b64(f"\0{user}\0{password}")
        self.login = f"AUTH {mechanism} {plain} ({user}:{password})"
        if password == SMTP_SECRET:
            return AuthResult(success=True)
        # A server that quotes what it was sent: the password, plain and in base64.
        return AuthResult(success=False, handled=False,
                          message=f"535 5.7.8 refused {self.login}")

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:
        if self.quote:
            return f"550 5.7.1 {self.login} may not send as {address}"
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages += 1
        return "250 OK"


def smtp_server(room: Mailroom, **options: Any) -> tuple[Controller, int]:
    port = free_port()
    controller = Controller(room, hostname="127.0.0.1", port=port,
                            authenticator=room.authenticate, **options)
    controller.start()
    return controller, port


def configure_smtp(run: CLI, port: int, security: str = "none", **extra: str | int) -> None:
    lines = ["[me]", 'name = "Maya López"', 'email = "maya@example.com"', "[email]",
             'host = "127.0.0.1"', f"port = {port}", f'security = "{security}"',
             f'username = "{USER}"', f'outbox = "{run.home.parent / "outbox"}"']
    lines += [f"{k} = {v!r}" if isinstance(v, int) else f'{k} = "{v}"' for k, v in extra.items()]
    (run.home / "config.toml").write_text("\n".join(lines) + "\n")


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that takes connections and never says a word (a server that hangs)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock.getsockname()[1]
    sock.close()


@pytest.mark.slow  # real servers
def test_smtp_failures_never_show_the_password(run: InProcessCLI, tmp_path: Path,
                                               certificate: tuple[Path, Path],  # noqa: F811
                                               silent_port: int) -> None:
    run.now = NOW
    run.run("add", "Jane Doe", "--email", "jane@acme.example")
    env = {"COFFEECHAT_SMTP_PASSWORD": SMTP_SECRET}
    texts: list[str] = []

    def refused(*words: str) -> None:
        """ask --send fails, plain and with --json and a plugin trace; nothing recorded."""
        for extra, more in (((), {}), (("--json",), {"COFFEECHAT_TRACE_PLUGINS": "1"})):
            result = run.run("ask", "jane", "--send", *extra, expect=None, **env, **more)
            one_line_failure(result, *words)
            texts.extend([result.out, result.err])

    wrong, _ = smtp_server(wrong_room := Mailroom(), auth_require_tls=False)
    plain, plain_port = smtp_server(Mailroom(), auth_require_tls=False)
    tls_only, tls_port = smtp_server(Mailroom(), tls_context=server_context(certificate),
                                     require_starttls=True, auth_require_tls=True)
    try:
        # The login refused, by a server quoting the password back (plain and base64).
        configure_smtp(run, wrong.port)
        env["COFFEECHAT_SMTP_PASSWORD"] = SMTP_SECRET + "-but-wrong"
        refused("did not accept the login for maya")
        assert SMTP_SECRET in wrong_room.login  # (it did quote it)
        env["COFFEECHAT_SMTP_PASSWORD"] = SMTP_SECRET
        # No server there.
        configure_smtp(run, free_port())
        refused("did not take the message")
        # STARTTLS asked for, not offered; implicit TLS asked for, a plain server answering.
        configure_smtp(run, plain_port, "starttls")
        refused("set [email] security")
        configure_smtp(run, plain_port, "tls")
        refused("did not take the message")
        # A server that wants STARTTLS first, asked to log in in the clear.
        configure_smtp(run, tls_port, "none")
        refused("set [email] security")
        # A server that never answers.
        configure_smtp(run, silent_port, timeout=1)
        refused("timed out")
        # Another variable named for the password, and it is not set.
        configure_smtp(run, plain_port, password_env="MY_MAIL_PASSWORD")
        refused("set MY_MAIL_PASSWORD")
        # A password written into config.toml is refused, and not repeated.
        configure_smtp(run, plain_port, password=SMTP_SECRET)
        refused("config.toml", "password")
        # At last it goes out.
        configure_smtp(run, plain_port)
        sent = run.run("ask", "jane", "--send", "--json", COFFEECHAT_TRACE_PLUGINS="1", **env)
        texts += [sent.out, sent.err]
        assert [e["type"] for e in run.json("log")][-1] == "request.sent"
        run.run("thank", "jane", "--draft", **env)
        assert [p.suffix for p in (tmp_path / "outbox").iterdir()] == [".eml"]
        texts += surfaces(run, tmp_path, **env)
    finally:
        for controller in (wrong, plain, tls_only):
            controller.stop()
    assert shown_anywhere(texts, forms(SMTP_SECRET)) == []
    assert shown_anywhere(texts, forms(SMTP_SECRET + "-but-wrong")) == []


@pytest.mark.slow  # a real SMTP server
def test_a_server_quoting_the_login_later_does_not_show_the_password(run: InProcessCLI
                                                                     ) -> None:
    run.now = NOW
    run.run("add", "Jane Doe", "--email", "jane@acme.example")
    room = Mailroom(quote_login_after_auth=True)
    controller, port = smtp_server(room, auth_require_tls=False)
    try:
        configure_smtp(run, port)
        result = run.run("ask", "jane", "--send", expect=None,
                         COFFEECHAT_SMTP_PASSWORD=SMTP_SECRET)
    finally:
        controller.stop()
    one_line_failure(result, "did not take the message")
    assert shown_anywhere([result.out, result.err], forms(SMTP_SECRET)) == []


class _Echoing(BaseHTTPRequestHandler):
    """A CalDAV server gone wrong: every answer quotes the request, Authorization included.

    Without credentials it asks for them (401, Basic); with them it answers as
    ``server.answer`` says: a 500, a 403, a 404, or a 207 whose body is no XML.
    """

    def _answer(self) -> None:
        said = f"{self.command} {self.path}\n{self.headers}"
        self.server.seen.append(self.headers.get("Authorization", ""))  # type: ignore[attr-defined]
        if "Authorization" not in self.headers:
            status, extra = 401, [("WWW-Authenticate", 'Basic realm="dav"')]
        else:
            status, extra = self.server.answer, []  # type: ignore[attr-defined]
        body = (f"<h1>{status}</h1><pre>{said}</pre>" if status != 207
                else f"not xml at all: {said}").encode()
        self.send_response(status)
        for name, value in [*extra, ("Content-Type", "text/html"),
                            ("Content-Length", str(len(body)))]:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_PROPFIND = do_REPORT = do_OPTIONS = do_HEAD = _answer

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def echoing() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echoing)
    server.answer = 500  # type: ignore[attr-defined]
    server.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def configure_caldav(run: CLI, url: str, **extra: str) -> None:
    lines = ["[me]", 'name = "Maya López"', 'email = "maya@example.com"', "[calendar]",
             f'url = "{url}"', f'username = "{USER}"']
    lines += [f'{k} = "{v}"' for k, v in extra.items()]
    (run.home / "config.toml").write_text("\n".join(lines) + "\n")


def with_password(url: str, secret: str) -> str:
    return url.replace("http://", f"http://{USER}:{secret}@").replace(
        "https://", f"https://{USER}:{secret}@")


@pytest.mark.slow  # a real CalDAV server
def test_caldav_failures_never_show_the_password(run: InProcessCLI, tmp_path: Path,
                                                 radicale: str,  # noqa: F811
                                                 echoing: ThreadingHTTPServer) -> None:
    run.now = NOW
    run.run("add", "Jane Doe", "--email", "jane@acme.example", "--birthday", "03-04")
    run.run("schedule", "jane", "--at", "2026-11-10T15:00:00Z", "--where", "Zoom")
    env = {"COFFEECHAT_CALDAV_PASSWORD": RADICALE_PASSWORD}
    texts: list[str] = []

    def refused(*words: str) -> None:
        for extra, more in (((), {}), (("--json",), {"COFFEECHAT_TRACE_PLUGINS": "1"})):
            result = run.run("calendar", "push", *extra, expect=None, **env, **more)
            one_line_failure(result, *words)
            texts.extend([result.out, result.err])

    # Pushed, with the password in the environment and in the URL too.
    configure_caldav(run, with_password(radicale, RADICALE_PASSWORD))
    for extra in ((), ("--json",)):
        pushed = run.run("calendar", "push", *extra, COFFEECHAT_TRACE_PLUGINS="1", **env)
        assert radicale in pushed.out
        texts += [pushed.out, pushed.err]
    # The wrong password, in the environment and in the URL.
    env["COFFEECHAT_CALDAV_PASSWORD"] = CALDAV_WRONG
    configure_caldav(run, with_password(radicale, CALDAV_WRONG))
    refused("refused maya", radicale)
    env["COFFEECHAT_CALDAV_PASSWORD"] = RADICALE_PASSWORD
    # No server there; a plain HTTP server asked for TLS.
    configure_caldav(run, with_password(f"http://127.0.0.1:{free_port()}/maya/", CALDAV_WRONG))
    refused("127.0.0.1")
    port = echoing.server_address[1]
    configure_caldav(run, with_password(f"https://127.0.0.1:{port}/maya/", CALDAV_WRONG))
    refused(f"https://127.0.0.1:{port}/maya/")
    # A server whose every answer quotes the request, Authorization header included.
    configure_caldav(run, with_password(f"http://127.0.0.1:{port}/maya/cal/", CALDAV_WRONG))
    for status in (500, 403, 404, 207):
        echoing.answer = status  # type: ignore[attr-defined]
        refused(f"http://127.0.0.1:{port}/maya/cal/")
    # (the password from the environment went out, and came back in every page)
    assert f"Basic {b64(f'{USER}:{RADICALE_PASSWORD}')}" in echoing.seen  # type: ignore[attr-defined]
    # A password written into config.toml is refused, and not repeated.
    configure_caldav(run, radicale, password=CALDAV_WRONG)
    refused("config.toml", "password")

    configure_caldav(run, with_password(radicale, RADICALE_PASSWORD))
    texts += surfaces(run, tmp_path, **env)
    assert shown_anywhere(texts, forms(RADICALE_PASSWORD) | forms(CALDAV_WRONG)) == []


@pytest.mark.slow  # a process that would hang
def test_a_caldav_server_that_never_answers_is_given_up_on(cli: CLI, silent_port: int) -> None:
    cli.run("add", "Jane Doe")
    cli.run("schedule", "jane", "--at", "2026-11-10T15:00:00Z")
    configure_caldav(cli, f"http://127.0.0.1:{silent_port}/maya/cal/", timeout="2")
    (cli.home / "config.toml").write_text(
        (cli.home / "config.toml").read_text().replace('timeout = "2"', "timeout = 2"))
    try:
        result = subprocess.run([sys.executable, "-m", "coffeechat", "calendar", "push"],
                                capture_output=True, text=True, timeout=10,
                                env=cli.env(COFFEECHAT_CALDAV_PASSWORD=RADICALE_PASSWORD))
    except subprocess.TimeoutExpired:
        pytest.fail("calendar push was still waiting after 10 s")
    one_line_failure(Result(result.returncode, result.stdout, result.stderr), "timed out")


def test_a_password_across_the_cut_of_a_long_calendar_error_is_still_hidden() -> None:
    from coffeechat.calendars import push_failure

    url = "http://127.0.0.1:1/maya/cal/"
    for start in (290, 296, 299, 300, 310):
        said = "x" * start + RADICALE_PASSWORD + " and more" + "y" * 400
        line = push_failure(OSError(said), url, RADICALE_PASSWORD, USER).message
        shown = line.split(": ", 2)[2]  # (after "calendar push: URL: ")
        assert RADICALE_PASSWORD[:4] not in shown.replace("x" * start, ""), (start, line)
        assert len(shown) <= 300


def test_without_secrets_hides_every_form_a_login_sends() -> None:
    from coffeechat.errors import without_secrets

    quoted = " | ".join(sorted(forms(SMTP_SECRET)))
    assert without_secrets(f"535 no: {quoted}", [SMTP_SECRET], USER).count("***") == 4
    assert shown_anywhere([without_secrets(quoted, [None, SMTP_SECRET], USER)],
                          forms(SMTP_SECRET)) == []
    assert without_secrets("250 ok", [None, ""], USER) == "250 ok"

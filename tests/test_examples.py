"""Every example in examples/ runs, and shows what it promises.

The example plugins are installed as a user would (``pip install``), but into a
throwaway folder put on ``PYTHONPATH`` for the commands that use them: never
into this environment, whose ``coffeechat --help`` must not grow their commands.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLI

# Each of these installs the examples or replays the demo through subprocesses.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PACKAGES = {"coffeechat-webhook": "webhook", "coffeechat-sms": "sms"}  # folder → plugin


def test_the_demo_story_records_and_shows_the_views(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COFFEECHAT_")}
    env.update(COFFEECHAT=str(Path(sys.executable).parent / "coffeechat"), TZ="UTC",
               TMPDIR=str(tmp_path))
    result = subprocess.run(["bash", str(ROOT / "examples" / "story.sh")], capture_output=True,
                            text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    for row in ("priya-raman  Priya Raman  Northwind      met",
                "dana-kim     Dana Kim     Fabrikam       asked",
                "sam-okafor   Sam Okafor   Tailspin Toys  scheduled",
                "tomás-silva  Tomás Silva  Contoso        prospect"):
        assert row in out
    due = out[out.index("HANDLE "):]
    kinds = [line.split()[5] for line in due.splitlines()[1:]]  # handle, date, time, when (2)
    assert kinds == ["check-in", "nudge", "thank-you", "commitment", "prep",
                     "record-meeting", "referral-outreach"]
    assert list(tmp_path.iterdir()) == []  # the temporary store is cleaned up


# -- the example plugins, installed for the tests only --------------------------------------

_INSTALLED: dict[Path, Path] = {}


def install_examples(factory: pytest.TempPathFactory) -> Path:
    """pip-install the example plugin packages into a temporary folder (once per session).

    Each package is copied first, so that building it leaves nothing in examples/.
    Returns the folder, for ``PYTHONPATH``.
    """
    base = factory.getbasetemp()
    if base not in _INSTALLED:
        work = factory.mktemp("example-plugins")
        site = work / "site"
        copies = []
        for folder in PACKAGES:
            copy = work / folder
            shutil.copytree(EXAMPLES / folder, copy, ignore=shutil.ignore_patterns(
                "build", "*.egg-info", "__pycache__"))
            copies.append(str(copy))
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
             "--no-build-isolation", "--target", str(site), *copies],
            check=True, capture_output=True, timeout=600)
        _INSTALLED[base] = site
    return _INSTALLED[base]


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_examples(tmp_path_factory)


def test_the_examples_are_not_installed_here(example_site: Path) -> None:
    names = {dist.metadata["Name"] for dist in importlib.metadata.distributions()}
    assert not names & set(PACKAGES), "a test installed an example plugin into this venv"
    installed = {dist.metadata["Name"]
                 for dist in importlib.metadata.distributions(path=[str(example_site)])}
    assert installed == set(PACKAGES)


class Receiver:
    """A real HTTP server on 127.0.0.1 that records what is POSTed to it."""

    def __init__(self, answer: dict[str, Any] | None = None) -> None:
        self.posts: list[dict[str, Any]] = []
        self.status = 200
        self.answer = json.dumps(answer).encode() if answer is not None else b"ok"
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                receiver.posts.append({
                    "path": self.path,
                    "content_type": self.headers["Content-Type"],
                    "json": json.loads(self.rfile.read(length)),
                })
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(receiver.answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- the SMS tutorial (docs/plugins.md): a channel to the phone number, a funnel ---------------


@pytest.fixture
def gateway() -> Iterator[Receiver]:
    server = Receiver({"id": "SM0001", "status": "queued"})
    yield server
    server.close()


@pytest.fixture
def texting(cli: CLI, example_site: Path, gateway: Receiver) -> CLI:
    (cli.home / "config.toml").write_text(
        f'[me]\nname = "Maya Lopez"\n\n[plugins.sms]\n'
        f'url = "http://127.0.0.1:{gateway.port}/v1/messages"\nfrom = "+15550001"\n')
    return cli


def sms(cli: CLI, example_site: Path) -> dict[str, str]:
    return {"PYTHONPATH": str(example_site), "COFFEECHAT_LOAD_PLUGINS": "sms"}


def test_the_sms_channel_texts_the_phone_number(texting: CLI, example_site: Path,
                                                gateway: Receiver) -> None:
    env = sms(texting, example_site)
    texting.ids("add", "Jane Doe", "--phone", "+1 555 0100", "--email", "jane@example.com")
    result = texting.run("ask", "jane", "--via", "sms", "--send", **env)
    assert result.err == ""
    assert "texted +1 555 0100 through the SMS gateway (SM0001)" in result.out
    [post] = gateway.posts
    assert post["path"] == "/v1/messages"
    assert post["content_type"] == "application/json"
    assert post["json"]["to"] == "+1 555 0100"  # the phone, not the email
    assert post["json"]["from"] == "+15550001"
    assert post["json"]["text"].startswith("Hi Jane,")
    [event] = [e for e in texting.json("log", **env) if e["type"] == "request.sent"]
    assert event["data"]["channel"] == "sms"
    assert event["data"]["body"] == post["json"]["text"]


def test_without_a_phone_number_nothing_is_sent_or_recorded(texting: CLI, example_site: Path,
                                                            gateway: Receiver) -> None:
    texting.ids("add", "Bob Smith", "--email", "bob@example.com")
    before = texting.count()
    result = texting.run("ask", "bob", "--via", "sms", "--send", expect=1,
                         **sms(texting, example_site))
    assert result.err.splitlines() == [
        "coffeechat: error: --send: Bob Smith has no phone number, which the 'sms' channel "
        "needs (add one: coffeechat edit bob-smith --phone ...); nothing was recorded"]
    assert gateway.posts == [] and texting.count() == before


def test_a_refusing_gateway_records_nothing(texting: CLI, example_site: Path,
                                            gateway: Receiver) -> None:
    texting.ids("add", "Jane Doe", "--phone", "+1 555 0100")
    gateway.status = 429
    before = texting.count()
    result = texting.run("thank", "jane", "--via", "sms", "--send", expect=1,
                         **sms(texting, example_site))
    assert result.err.splitlines() == [
        "coffeechat: error: --send: the SMS gateway refused the message (HTTP 429)"]
    assert texting.count() == before


def test_the_funnel_counts_with_undos_and_merges(texting: CLI, example_site: Path) -> None:
    env = sms(texting, example_site)
    for name in ("Ana Silva", "Bob Smith", "Cara Diaz", "Dan Wu", "Daniel Wu", "Eve Adams"):
        texting.ids("add", name)
    texting.ids("ask", "bob")
    texting.ids("met", "bob")
    [ask] = texting.ids("ask", "cara")
    texting.ids("undo", ask)  # Cara was never asked after all
    texting.ids("ask", "daniel")
    texting.ids("merge", "dan-wu", "daniel-wu")  # Daniel is Dan: one person, asked
    texting.ids("met", "eve")  # met without an ask: not in the asked → met funnel
    expected = [{"step": "added", "count": 5, "rate": None},
                {"step": "asked", "count": 2, "rate": 0.4},
                {"step": "met", "count": 1, "rate": 0.5}]
    assert texting.json("funnel", **env) == expected
    assert json.loads(texting.run("--json", "funnel", **env).out) == expected
    assert texting.run("funnel", **env).out.splitlines() == [
        "added     5", "asked     2  40% of the step before", "met       1  50% of the step before"]

"""The report in a real headless Chromium, driven over the DevTools protocol on a pipe.

Why no Playwright: we need five protocol commands, and Chromium speaks them on
``--remote-debugging-pipe`` (JSON messages ended by a NUL byte on fds 3 and
4): no dependency, no driver process, no browser download, and it works with
whichever Chromium the system has (Debian's ``chromium``; `make test` installs
it when it can). Without a browser the test skips and says why.

``python -m tests.test_report_browser OUT.png`` writes the user guide's
screenshot (docs/images/report.png) from a small demo store.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import InProcessCLI

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-pipe", "--hide-scrollbars", "--mute-audio")
ARTIFACT = Path(__file__).resolve().parent.parent / "build" / "artifacts" / "report.png"


def find_browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Browser:
    """One headless Chromium and one page, spoken to over the DevTools pipe."""

    def __init__(self, executable: str, profile: str) -> None:
        to_browser, self._in = os.pipe()  # we write commands, it reads them on fd 3
        self._out, from_browser = os.pipe()  # it writes answers on fd 4

        def pipes() -> None:  # (in the child, before exec): its ends on fds 3 and 4
            # Moved out of the way first (either may be fd 3 or 4 already), then put in
            # place, inheritable (os.pipe's ends are close-on-exec).
            reading = fcntl.fcntl(to_browser, fcntl.F_DUPFD, 10)
            writing = fcntl.fcntl(from_browser, fcntl.F_DUPFD, 10)
            os.dup2(reading, 3)
            os.dup2(writing, 4)

        self.process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=pipes, close_fds=False)
        os.close(to_browser)
        os.close(from_browser)
        self._next = 0
        self._answers: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self._ready = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target,
                                 flatten=True)["sessionId"]

    def _read(self) -> None:
        buffer = b""
        while True:
            chunk = os.read(self._out, 1 << 16)
            if not chunk:
                return
            buffer += chunk
            while b"\0" in buffer:
                message, buffer = buffer.split(b"\0", 1)
                decoded = json.loads(message)
                with self._ready:
                    if "id" in decoded:
                        self._answers[decoded["id"]] = decoded
                    else:
                        self.events.append(decoded)
                    self._ready.notify_all()

    def call(self, method: str, *, session: bool = False, **params: Any) -> dict[str, Any]:
        self._next += 1
        number = self._next
        message: dict[str, Any] = {"id": number, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._in, json.dumps(message).encode() + b"\0")
        with self._ready:
            if not self._ready.wait_for(lambda: number in self._answers, timeout=30):
                raise TimeoutError(f"{method}: no answer from the browser in 30 s")
            answer = self._answers.pop(number)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return dict(answer.get("result", {}))

    def page(self, method: str, **params: Any) -> dict[str, Any]:
        return self.call(method, session=True, **params)

    def wait_for(self, method: str, timeout: float = 30) -> dict[str, Any]:
        with self._ready:
            if not self._ready.wait_for(
                    lambda: any(e.get("method") == method for e in self.events), timeout):
                raise TimeoutError(f"no {method} in {timeout} s")
            return next(e for e in self.events if e.get("method") == method)

    def open(self, url: str, width: int, height: int) -> None:
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.page(f"{domain}.enable")
        self.page("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=width < 600)
        self.page("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        result = self.page("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def screenshot(self, path: Path, *, full: bool = True) -> None:
        shot = self.page("Page.captureScreenshot", format="png", captureBeyondViewport=full)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        with contextlib.suppress(OSError, RuntimeError, TimeoutError):
            self.call("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._in)
        os.close(self._out)


def demo(run: InProcessCLI) -> None:
    """A small story: a few people at every stage, replies, a thank-you, introductions."""
    run.now = "2026-09-01T09:00:00Z"
    for name, company in (("Jane Doe", "Acme"), ("Omar Haddad", "Globex"),
                          ("Priya Natarajan", "Initech"), ("Tom Becker", "Hooli"),
                          ("Lena Park", "Umbrella"), ("Sam Ortiz", None)):
        run.run("add", name, *(["--company", company] if company else []))
    run.run("ask", "Jane", "--via", "email", "--template", "ask")
    run.run("ask", "Omar", "--via", "linkedin")
    run.run("ask", "Priya", "--via", "email")
    run.run("ask", "Tom", "--via", "email")
    run.now = "2026-09-03T10:00:00Z"
    run.run("answer", "Jane", "accepted")
    run.run("schedule", "Jane", "--at", "2026-09-08T15:00")
    run.run("answer", "Priya", "accepted")
    run.now = "2026-09-08T16:00:00Z"
    run.run("met", "Jane", "--takeaway", "Talk to design leads", "--referral", "Ravi Shah",
            "--referral", "Mei Lin", "--commitment", "Send my portfolio", "--due", "+3d")
    run.now = "2026-09-08T21:00:00Z"
    run.run("thank", "Jane")
    run.now = "2026-09-15T09:00:00Z"
    run.run("ask", "Ravi", "--via", "email")
    run.run("schedule", "Priya", "--at", "2026-09-22T11:00")
    run.now = "2026-09-17T09:00:00Z"
    run.run("met", "Ravi", "--referral", "Ada Obi")
    run.now = "2026-09-22T12:00:00Z"
    run.run("met", "Priya")
    run.now = "2026-09-25T09:00:00Z"
    run.run("thank", "Priya")
    run.run("ask", "Lena", "--via", "phone")
    run.now = "2026-10-02T09:00:00Z"


def check(run: InProcessCLI, folder: Path, executable: str, screenshot: Path,
          width: int = 1200, height: int = 900, full: bool = True) -> dict[str, Any]:
    """Open the report; what the page showed and what the browser saw."""
    report = folder / "report.html"
    run.run("report", "--out", str(report))
    profile = tempfile.mkdtemp(prefix="chromium-", dir=folder)
    browser = Browser(executable, profile)
    try:
        browser.open(report.as_uri(), width, height)
        seen = {
            "funnel": browser.evaluate(
                "Object.fromEntries([...document.querySelectorAll('[data-step]')]"
                ".map(c => [c.dataset.step, Number(c.textContent)]))"),
            "cards": browser.evaluate("document.querySelectorAll('.card').length"),
            "timelines": browser.evaluate(
                "[...document.querySelectorAll('table.timeline caption')]"
                ".map(c => c.textContent)"),
            "svgs": browser.evaluate("document.querySelectorAll('svg[aria-label]').length"),
            "width": browser.evaluate("document.documentElement.scrollWidth"),
        }
        time.sleep(0.2)  # (late console messages)
        browser.screenshot(screenshot, full=full)
        seen["events"] = list(browser.events)
    finally:
        browser.close()
    return seen


@pytest.mark.slow
def test_the_report_in_chromium(run: InProcessCLI, tmp_path: Path) -> None:
    executable = find_browser()
    if executable is None:
        print("no Chromium on PATH: `make test` installs Debian's chromium as root; skipping")
        pytest.skip("no Chromium found (install the chromium package)")
    demo(run)
    shot = tmp_path / "report.png"
    seen = check(run, tmp_path, executable, shot)
    events = seen["events"]
    errors = [e for e in events if e.get("method") == "Runtime.exceptionThrown"
              or (e.get("method") == "Runtime.consoleAPICalled"
                  and e["params"]["type"] in ("error", "assert"))
              or (e.get("method") == "Log.entryAdded"
                  and e["params"]["entry"]["level"] == "error")]
    assert errors == []
    requested = [e["params"]["request"]["url"] for e in events
                 if e.get("method") == "Network.requestWillBeSent"]
    assert requested == [(tmp_path / "report.html").as_uri()]  # the file itself, nothing else
    stats = {s["step"]: s["count"] for s in run.json("stats")["funnel"]}
    assert seen["funnel"] == stats and stats["met"] == 3
    assert seen["cards"] == 9  # everyone, each on a card
    assert "Timeline of Jane Doe" in seen["timelines"]
    assert seen["svgs"] == 4  # funnel, replies, activity, referral tree
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, ARTIFACT)
    # On a phone the page fits the screen: nothing wider than it but what scrolls inside.
    phone = check(run, tmp_path, executable, tmp_path / "phone.png", width=390)
    assert phone["width"] <= 390


if __name__ == "__main__":  # the user guide's screenshot: python -m tests.test_report_browser OUT
    with tempfile.TemporaryDirectory() as home:
        env = {"COFFEECHAT_HOME": home, "TZ": "UTC"}
        os.environ.update(env)
        runner = InProcessCLI(Path(home))
        demo(runner)
        executable = find_browser()
        if executable is None:
            sys.exit("no Chromium found")
        check(runner, Path(home), executable, Path(sys.argv[1]), width=1000, height=1250,
              full=False)

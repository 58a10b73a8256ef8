"""docs/user-guide.md is run: every ```console block, in order, in one fresh folder.

The guide is one story (later blocks use what earlier ones recorded), so the
replay starts from an empty coffeechat folder and runs each ``$`` line of every
block in turn, comparing what it prints with the lines the guide shows under it.

Reading a transcript:

- A line starting ``$ `` is a command; a line ending in ``\\`` continues on the
  next. The lines up to the next ``$`` line (or the end of the block) are what
  the command printed.
- ``coffeechat ...`` runs in-process (:class:`tests.conftest.InProcessCLI`)
  with what the guide has exported, plus ``COFFEECHAT_LOAD_PLUGINS=""`` (the
  built-in plugins only, whatever is installed) and ``COLUMNS=80`` (``--help``
  wraps there, whatever your terminal). ``jq``, ``sqlite3``, ``cp``
  and ``mv`` run as themselves (the test is skipped without jq or sqlite3).
- The shell forms the guide uses, and no more: ``export NAME=VALUE ...``,
  ``NAME=VALUE`` (``NAME=$(...)``), ``$NAME``, ``${NAME}`` and ``$(...)``
  outside single quotes, ``a | b``, ``a; b``, ``echo ...`` and ``$?`` (so
  ``; echo "exit code: $?"`` shows the exit code). Anything else fails the test.
- ``COFFEECHAT_NOW`` is the clock; the guide moves it with ``export`` lines.
  The folder the guide exports as ``COFFEECHAT_HOME`` is a fresh temporary
  folder, and the commands run in a second one (where relative paths such as
  ``coffeechat-backup.db`` land).
- ``<!-- not run: REASON -->`` on the line before a block skips it. Keep it rare.

Comparing output (both sides alike):

- Trailing spaces go, and blank lines at the end of a command's output.
- A terminal shows stdout and stderr together: the guide's lines must be the
  two streams' lines interleaved, each stream in its own order.
- A UUID (an event id such as ``01a200b4-c1f6-7003-b4ec-dffdab9a6123``, or a
  batch id) reads as ``<id>``: ids come from the system clock. Each id in the
  guide must still stand for one actual id throughout: the replay learns which
  from the output, and an id (or the start of one) typed in a command is
  replaced by the actual id it stands for before the command runs.
- A follow-up's handle (``k7mq``: in the HANDLE column of a table, as
  ``[k7mq]`` before an item of ``show``, and as ``"handle"`` in JSON) is
  derived from event ids, so it is treated like one: it reads as ``<handle>``,
  each handle in the guide must stand for one actual handle throughout, and a
  handle the guide showed, typed as a word of a command, is replaced by the
  actual one before the command runs.
- An elapsed time (``in 0.01 s``) reads as ``in <t> s``.
- The temporary folders' paths read as the guide's (``/tmp/coffeechat-demo``,
  and ``.`` for the folder the commands run in, ``/tmp/coffeechat-work`` in a
  ``file://`` address). In the output of a command
  that shows one, runs of spaces read as two: a table there was aligned
  around a path of another length.
- sqlite3's own prefix for a failed statement differs between its versions
  (``Error: stepping,``, ``Runtime error near line 1:``): it reads as ``Error:``.

When the CLI's output changes on purpose, ``.venv/bin/python -m
tests.test_user_guide`` writes what it prints now into the guide, wherever the
two differ (the guide's ids kept where they can be matched); read the diff.
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import InProcessCLI, Result

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "user-guide.md"

UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
ID_START = re.compile(r"\b[0-9a-f]{8}(?:-[0-9a-f]{1,4}){0,3}(?:-[0-9a-f]{1,12})?\b")
ELAPSED = re.compile(r"\bin \d+(?:\.\d+)? s\b")
WORK_SHOWN = "/tmp/coffeechat-work"  # the folder the commands run in, where a whole path is shown
_HANDLE = "[2-9a-hjkmnp-z]{4}(?:[2-9a-hjkmnp-z]{4})?"  # coffeechat.handles.ALPHABET
JSON_HANDLE = re.compile(rf'("handle":\s*")({_HANDLE})(")')
ITEM_HANDLE = re.compile(rf"^(\s+\[)({_HANDLE})(\] )")  # a follow-up in `show`
ROW_HANDLE = re.compile(rf"^()({_HANDLE})(  )")  # the first column under a HANDLE header
SQLITE_ERROR = re.compile(r"^(?:Error: stepping,|Runtime error near line \d+:)")
FENCE = re.compile(r"^```console\n(.*?)^```\n", re.DOTALL | re.MULTILINE)
NOT_RUN = re.compile(r"<!-- not run: (.+?) -->\n$")
EXTERNAL = ("jq", "sqlite3", "cp", "mv")


@dataclass
class Command:
    line: int  # in the guide, 1-based
    text: str  # the command, continuation lines joined
    expected: list[str]
    output_at: int = 0  # the line its output starts on


@dataclass
class Block:
    line: int
    commands: list[Command]
    not_run: str | None = None


def read_guide(text: str) -> list[Block]:
    """Every ```console block of the guide, its commands and their expected output."""
    blocks = []
    for match in FENCE.finditer(text):
        start = text.count("\n", 0, match.start(1)) + 1
        skip = NOT_RUN.search(text, 0, match.start())
        commands: list[Command] = []
        pending = ""
        for offset, line in enumerate(match.group(1).splitlines()):
            if pending:
                pending += " " + line.strip()
            elif line.startswith("$ "):
                commands.append(Command(start + offset, "", []))
                pending = line[2:]
            elif commands:
                commands[-1].expected.append(line)
                continue
            else:
                raise AssertionError(f"user-guide.md:{start + offset}: output before any command")
            if pending.endswith("\\"):
                pending = pending[:-1].rstrip()
            else:
                commands[-1].text, pending = pending, ""
                commands[-1].output_at = start + offset + 1
        blocks.append(Block(start, commands, skip.group(1) if skip else None))
    return blocks


def _table_rows(lines: list[str]) -> list[bool]:
    """Whether each line is a row under a HANDLE header (its first column a handle)."""
    rows = []
    in_table = False
    for line in lines:
        row = in_table and ROW_HANDLE.match(line) is not None
        in_table = line.startswith("HANDLE  ") or row
        rows.append(row)
    return rows


def handles_in(lines: list[str]) -> list[list[str]]:
    """The handles each line shows: in JSON, and in the first column under a HANDLE header."""
    return [[m.group(2) for m in JSON_HANDLE.finditer(line)]
            + [m.group(2) for m in ITEM_HANDLE.finditer(line)]
            + ([m.group(2)] if row and (m := ROW_HANDLE.match(line)) else [])
            for line, row in zip(lines, _table_rows(lines), strict=True)]


def _handles(lines: list[str], replace: dict[str, str] | None = None) -> list[str]:
    """The lines with each handle read as ``<handle>`` (or as ``replace`` says)."""
    def new(match: re.Match[str]) -> str:
        handle = match.group(2)
        shown = "<handle>" if replace is None else replace.get(handle, handle)
        return match.group(1) + shown + match.group(3)

    return [ROW_HANDLE.sub(new, line) if row else ITEM_HANDLE.sub(new, JSON_HANDLE.sub(new, line))
            for line, row in zip(lines, _table_rows(lines), strict=True)]


def _normal(lines: list[str], paths: dict[str, str]) -> list[str]:
    """Lines as compared: see the rules at the top."""
    out = []
    for line in _handles(_paths(lines, paths)):
        line = SQLITE_ERROR.sub("Error:", line)
        out.append(ELAPSED.sub("in <t> s", UUID.sub("<id>", line)).rstrip())
    while out and not out[-1]:
        out.pop()
    return out


def _realigned(lines: list[str]) -> list[str]:
    """Columns aligned around a temporary path (longer than the guide's) compared loosely."""
    return [re.sub(r"  +", "  ", line) for line in lines]


def _interleave(want: list[str], out: list[str], err: list[str]) -> list[str] | None:
    """The stream ('out' or 'err') each wanted line came from, if ``want`` interleaves them."""
    n, m = len(out), len(err)
    if len(want) != n + m:
        return None
    ok = [[False] * (m + 1) for _ in range(n + 1)]
    ok[0][0] = True
    for i in range(n + 1):
        for j in range(m + 1):
            if i and ok[i - 1][j] and out[i - 1] == want[i + j - 1]:
                ok[i][j] = True
            if j and ok[i][j - 1] and err[j - 1] == want[i + j - 1]:
                ok[i][j] = True
    if not ok[n][m]:
        return None
    path: list[str] = []
    i, j = n, m
    while i or j:
        if i and ok[i - 1][j] and out[i - 1] == want[i + j - 1]:
            path.append("out")
            i -= 1
        else:
            path.append("err")
            j -= 1
    return path[::-1]


@dataclass
class Output:
    """What a terminal showed for one ``$`` line: each stream, and both in the order shown."""

    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)

    def add(self, out: str, err: str) -> None:
        self.out += out.splitlines()
        self.err += err.splitlines()
        self.shown += out.splitlines() + err.splitlines()


class Shell:
    """Just enough of a POSIX shell for the guide's transcripts."""

    def __init__(self, home: Path, work: Path) -> None:
        self.cli = _GuideCLI(home, self)
        self.home, self.work = home, work
        self.env = {"COFFEECHAT_HOME": str(home), "COFFEECHAT_LOAD_PLUGINS": "", "COLUMNS": "80"}
        self.variables: dict[str, str] = {}
        self.paths: dict[str, str] = {  # (in this order: the longest first)
            f"file://{work}/": f"file://{WORK_SHOWN}/", str(work) + "/": "", str(work): "."}
        self.ids: dict[str, str] = {}  # the guide's id -> the actual one, latest last
        self.handles: dict[str, str] = {}  # the guide's handle -> the actual one
        self.typed: dict[str, str] = {}  # in the command being run: actual -> as typed
        self.status = 0
        self.errors = ""  # stderr of the pipeline being run

    # -- expansion --------------------------------------------------------

    def _value(self, name: str) -> str:
        if name == "?":
            return str(self.status)
        return self.variables.get(name, self.env.get(name, ""))

    def expand(self, text: str, terminal: Output) -> str:
        """``$NAME``, ``${NAME}`` and ``$(...)`` outside single quotes, as text for shlex."""
        out: list[str] = []
        quote = ""
        i = 0
        while i < len(text):
            c = text[i]
            if quote == "'" or (c == "'" and not quote):
                if c == "'":
                    quote = "" if quote else "'"
                out.append(c)
                i += 1
                continue
            if c == '"':
                quote = "" if quote else '"'
            elif c == "\\":
                out.append(text[i:i + 2])
                i += 2
                continue
            elif c == "$":
                value, i = self._dollar(text, i, terminal)
                if quote:
                    value = re.sub(r'(["\\])', r"\\\1", value)
                out.append(value)
                continue
            out.append(c)
            i += 1
        return "".join(out)

    def _dollar(self, text: str, i: int, terminal: Output) -> tuple[str, int]:
        if text.startswith("$(", i):
            end = _closing(text, i + 1)
            result = self.line(text[i + 2:end], terminal, capture=True)
            return result.rstrip("\n"), end + 1
        if text.startswith("${", i):
            end = text.index("}", i)
            return self._value(text[i + 2:end]), end + 1
        name = re.match(r"\?|[A-Za-z_]\w*", text[i + 1:])
        if not name:  # a lone $ is itself, as in the shell
            return "$", i + 1
        return self._value(name.group()), i + 1 + name.end()

    def guide_ids(self, text: str) -> str:
        """An id, or the start of one, that the guide showed earlier: the actual one."""
        def actual(match: re.Match[str]) -> str:
            start = match.group()
            for shown in reversed(self.ids):
                if shown.startswith(start):
                    self.typed[self.ids[shown][:len(start)]] = start
                    return self.ids[shown][:len(start)]
            return start
        return ID_START.sub(actual, text)

    def guide_handles(self, text: str) -> str:
        """A handle the guide showed earlier, typed as a word: the actual one."""
        def actual(match: re.Match[str]) -> str:
            handle = self.handles.get(match.group(), match.group())
            if handle != match.group():
                self.typed[handle] = match.group()
            return handle
        return re.sub(rf"(?<![\w$-]){_HANDLE}(?![\w-])", actual, text)

    # -- running ----------------------------------------------------------

    def line(self, text: str, terminal: Output, capture: bool = False) -> str:
        """Run one command line; return its stdout when ``capture``, else show it."""
        captured = []
        for part in _split_text(self.guide_handles(self.guide_ids(text)), ";"):
            words = shlex.shlex(self.expand(part, terminal), posix=True, punctuation_chars=";|")
            words.whitespace_split = True
            self.errors = ""
            out = self.pipeline(list(words))
            if capture:
                captured.append(out)
                out = ""
            terminal.add(out, self.errors)
        return "".join(captured)

    def pipeline(self, words: list[str]) -> str:
        if len(words) == 1 and re.fullmatch(r"[A-Za-z_]\w*=.*", words[0], re.DOTALL):
            name, value = words[0].split("=", 1)
            self.variables[name] = value
            return ""
        data: str | None = None
        for command in _split(words, "|"):
            data = self.simple(command, data)
        return data or ""

    def simple(self, words: list[str], stdin: str | None) -> str:
        name, args = words[0], words[1:]
        assert not any(w and set(w) <= set(";|&") for w in words), f"the replay cannot run {words}"
        if name == "export":
            for assignment in args:
                key, value = assignment.split("=", 1)
                if key == "COFFEECHAT_HOME":
                    self.paths[str(self.home)] = value
                    value = str(self.home)
                self.env[key] = value
            self.status = 0
            return ""
        if name == "echo":
            self.status = 0
            return " ".join(args) + "\n"
        if name == "coffeechat":
            result = self.cli.run(*args, expect=None)
        elif name in EXTERNAL:
            proc = subprocess.run([name, *args], input=stdin, capture_output=True, text=True,
                                  cwd=self.work, env=self.cli.env(), timeout=60)
            result = Result(proc.returncode, proc.stdout, proc.stderr)
        else:
            raise AssertionError(f"the replay cannot run {name!r}: teach it, or mark the block")
        self.errors += result.err
        self.status = result.code
        return result.out

    def learn_ids(self, want: list[str], got: list[str], command: Command) -> list[str]:
        """Which actual id each of the guide's ids stands for; problems found."""
        problems = []
        for shown_line, actual_line in zip(want, got, strict=True):
            for shown, actual in zip(UUID.findall(shown_line), UUID.findall(actual_line),
                                     strict=True):
                if self.ids.pop(shown, actual) != actual:
                    problems.append(f"user-guide.md:{command.line}: {shown} is another event "
                                    "here than earlier in the guide")
                other = next((s for s, a in self.ids.items() if a == actual), None)
                if other:
                    problems.append(f"user-guide.md:{command.line}: {shown} is the event the "
                                    f"guide called {other} earlier")
                self.ids[shown] = actual
        for shown_handles, actual_handles in zip(handles_in(want), handles_in(got), strict=True):
            for shown, actual in zip(shown_handles, actual_handles, strict=False):
                if self.handles.setdefault(shown, actual) != actual:
                    problems.append(f"user-guide.md:{command.line}: handle {shown} is another "
                                    "follow-up here than earlier in the guide")
        return problems

    def compare(self, command: Command, terminal: Output) -> Outcome:
        """What the guide shows against what the terminal showed; ids learnt on a match."""
        want = _normal(command.expected, {})
        seen = self.paths | self.typed
        out, err = _normal(terminal.out, seen), _normal(terminal.err, seen)
        if any(path in line for path in self.paths for line in terminal.shown):
            want, out, err = _realigned(want), _realigned(out), _realigned(err)
        order = _interleave(want, out, err)
        if order is None:
            shown = _normal(terminal.shown, seen)
            diff = difflib.unified_diff(want, shown, "the guide", "coffeechat", lineterm="")
            problems = [f"user-guide.md:{command.line}: $ {command.text}\n" + "\n".join(diff)]
            shown_ids = UUID.findall("\n".join(command.expected))
            actual_ids = UUID.findall("\n".join(terminal.shown))
            if len(shown_ids) == len(actual_ids):  # most likely the same events: keep the names
                for shown, actual in zip(shown_ids, actual_ids, strict=True):
                    self.ids.setdefault(shown, actual)
            shown_handles = [h for line in handles_in(command.expected) for h in line]
            actual_handles = [h for line in handles_in(terminal.shown) for h in line]
            if len(shown_handles) == len(actual_handles):
                for shown, actual in zip(shown_handles, actual_handles, strict=True):
                    self.handles.setdefault(shown, actual)
        else:
            streams = {"out": terminal.out[:], "err": terminal.err[:]}
            got = [streams[name].pop(0) for name in order]
            problems = self.learn_ids(command.expected[:len(got)], got, command)
        guide_id = {actual: shown for shown, actual in self.ids.items()}
        actual = [UUID.sub(lambda m: guide_id.get(m.group(), m.group()), line)
                  for line in terminal.shown]
        guide_handle = {actual: shown for shown, actual in self.handles.items()}
        actual = [x.rstrip() for x in _paths(_handles(actual, guide_handle), seen)]
        return Outcome(command, problems, actual, order is None)


def _paths(lines: list[str], paths: dict[str, str]) -> list[str]:
    for actual, shown in paths.items():
        lines = [line.replace(actual, shown) for line in lines]
    return lines


def _closing(text: str, start: int) -> int:
    """The index of the ``)`` matching the ``(`` at ``start``, quotes respected."""
    depth, quote = 0, ""
    for i in range(start, len(text)):
        c = text[i]
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if not depth:
                return i
    raise AssertionError(f"no closing parenthesis in {text!r}")


def _split_text(text: str, separator: str) -> list[str]:
    """``text`` cut at each ``separator`` outside quotes and ``$(...)``."""
    parts, start, depth, quote = [], 0, 0, ""
    for i, c in enumerate(text):
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == separator and not depth:
            parts.append(text[start:i])
            start = i + 1
    return [*parts, text[start:]]


def _split(words: list[str], separator: str) -> Iterator[list[str]]:
    part: list[str] = []
    for word in [*words, separator]:
        if word == separator:
            if part:
                yield part
            part = []
        else:
            part.append(word)


class _GuideCLI(InProcessCLI):
    """The in-process CLI with exactly the environment the guide has built up."""

    def __init__(self, home: Path, shell: Shell) -> None:
        super().__init__(home)
        self.shell = shell

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("COFFEECHAT_")}
        env.update(self.shell.env)
        env.update(extra)
        return env


@dataclass
class Outcome:
    command: Command
    problems: list[str]
    actual: list[str]  # what it printed, as the guide would show it
    differs: bool


def replay(text: str, home: Path, work: Path) -> Iterator[Outcome]:
    """Run the guide's commands in order (``work`` must be the current folder)."""
    shell = Shell(home, work)
    for block in read_guide(text):
        if block.not_run:
            continue
        for command in block.commands:
            terminal = Output()
            shell.typed = {}
            try:
                shell.line(command.text, terminal)
            except Exception as error:
                raise AssertionError(f"user-guide.md:{command.line}: $ {command.text}") from error
            yield shell.compare(command, terminal)


def test_the_guide_reads_as_a_transcript() -> None:
    blocks = read_guide(GUIDE.read_text())
    commands = [c for b in blocks for c in b.commands]
    assert len(blocks) >= 30 and len(commands) >= 90
    assert all(b.commands for b in blocks), "a console block without a $ line"
    not_run = [b for b in blocks if b.not_run]
    assert len(not_run) <= 3, "keep blocks that are not run rare: make them run"


@pytest.mark.skipif(not (shutil.which("jq") and shutil.which("sqlite3")),
                    reason="the guide's transcripts use jq and sqlite3")
def test_the_guide_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.chdir(work)
    problems = [p for outcome in replay(GUIDE.read_text(), home, work) for p in outcome.problems]
    assert not problems, (
        f"{len(problems)} problem(s) in docs/user-guide.md: fix the guide, or run "
        "`.venv/bin/python -m tests.test_user_guide` to write what coffeechat prints now "
        "into it, and read the diff\n\n" + "\n\n".join(problems))


def update(guide: Path = GUIDE) -> int:
    """Write what coffeechat prints now into the guide, where it differs; review the diff."""
    text = guide.read_text()
    lines = text.splitlines(keepends=True)
    here = Path.cwd()
    with tempfile.TemporaryDirectory() as folder:
        home, work = Path(folder, "home"), Path(folder, "work")
        home.mkdir()
        work.mkdir()
        os.chdir(work)
        try:
            changed = [o for o in replay(text, home, work) if o.differs]
        finally:
            os.chdir(here)
    for outcome in reversed(changed):
        start = outcome.command.output_at - 1
        lines[start:start + len(outcome.command.expected)] = [f"{x}\n" for x in outcome.actual]
    guide.write_text("".join(lines))
    for outcome in changed:
        print(f"{guide.name}:{outcome.command.line}: $ {outcome.command.text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(update())

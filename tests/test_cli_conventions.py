"""The conventions people expect of a command-line tool (issue 14).

NO_COLOR and output that is not a terminal, `--help` in sections, `paths`,
shell completion, `--json` for plugin commands, and `met`'s paired options.
"""

from __future__ import annotations

import ast
import inspect
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import click
import pytest
from click.shell_completion import ShellComplete

from coffeechat import paths
from coffeechat.cli.main import COMMANDS, PLUGIN_SECTION, SECTIONS, App, cli
from tests.conftest import CLI, InProcessCLI

PLUGINS = Path(__file__).parent / "plugins"
ESC = "\x1b"


# -- colour, and output that is not a terminal ----------------------------------------


def on_a_terminal(runner: CLI, *args: str, **env: str) -> str:
    """Run the real CLI with stdout and stderr on a pseudo-terminal: what it wrote there."""
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "coffeechat", *args],
                            stdin=subprocess.DEVNULL, stdout=follower, stderr=follower,
                            env=runner.env(COLUMNS="200", **env))
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the process closed its end
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert proc.wait(timeout=60) == 0
    return b"".join(chunks).decode()


@pytest.fixture
def overdue(cli: CLI) -> CLI:
    cli.run("add", "Jane Doe")
    cli.run("ask", "jane", "--on", "2026-10-20")  # the nudge is overdue: a red row
    return cli


def test_a_terminal_gets_colour_unless_no_color_is_set(overdue: CLI) -> None:
    coloured = on_a_terminal(overdue, "due")
    assert ESC in coloured and "nudge" in coloured
    assert on_a_terminal(overdue, "due", NO_COLOR="") == coloured  # empty means unset
    plain = on_a_terminal(overdue, "due", NO_COLOR="1")
    assert ESC not in plain
    assert "nudge" in plain and "overdue" in plain  # the words still say it
    shown = on_a_terminal(overdue, "show", "jane", NO_COLOR="1")
    assert ESC not in shown and "overdue" in shown
    assert ESC not in on_a_terminal(overdue, "due", TERM="dumb")


def test_output_that_is_not_a_terminal_has_no_escapes_and_whole_columns(overdue: CLI) -> None:
    overdue.run("met", "jane", "--notes", "a long conversation " * 20)
    for args in (["due"], ["show", "jane"], ["log"], ["contacts"]):
        result = overdue.run(*args, COLUMNS="40")
        assert ESC not in result.out + result.err and "\r" not in result.out + result.err
    log = overdue.run("log", COLUMNS="40").out
    header = log.splitlines()[0].split()
    assert header == ["SEQ", "WHEN", "TYPE", "CONTACT", "DETAILS", "ID"]
    assert max(len(line) for line in log.splitlines()) > 40  # not cut to a terminal


def test_the_watch_line_is_drawn_over_without_escapes(capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    from coffeechat.cli.watch import Terminal

    live = Terminal(True, "views")
    live.show(SimpleNamespace(report=None, due=120, overdue=30, views=["due.md"]), 1000)
    live.show(SimpleNamespace(report=None, due=1, overdue=0, views=[]), 1)
    live.warn("a view failed")
    err = capsys.readouterr().err
    assert ESC not in err
    first, second, warning = err.split("\r")[1:]
    assert len(second) == len(first) and second.rstrip().startswith("1 notes")
    assert warning.startswith("coffeechat: warning: a view failed")
    assert len(warning.rstrip("\n")) >= len(second.rstrip())
    plain = Terminal(False, "views")
    plain.show(SimpleNamespace(report=None, due=1, overdue=0, views=["due.md"]), 1)
    assert "\r" not in capsys.readouterr().err


# -- --help in sections --------------------------------------------------------------


def test_help_lists_the_commands_in_sections(run: InProcessCLI) -> None:
    out = run.run("--help").out
    titles = [line[:-1] for line in out.splitlines() if line and not line.startswith(" ")
              and line.endswith(":")]
    assert titles == ["Options", *SECTIONS]
    for title, commands in SECTIONS.items():
        block = out.split(f"\n{title}:\n", 1)[1].split("\n\n", 1)[0]
        assert [line.split()[0] for line in block.splitlines()] == list(commands)
    assert set(COMMANDS) == {name for commands in SECTIONS.values() for name in commands}
    assert {"watch", "import", "export", "template", "calendar"} <= set(SECTIONS[PLUGIN_SECTION])
    assert {"init", "rebuild", "verify", "backup", "plugins", "paths"} == set(
        SECTIONS["Maintenance"])


def test_help_works_with_a_broken_config(run: InProcessCLI) -> None:
    (run.home / "config.toml").write_text("[followups]\nnudge_day = 5\n")
    result = run.run("--help")
    assert "Maintenance:" in result.out
    assert result.err.startswith("coffeechat: warning: ") and "nudge_day" in result.err


def test_the_help_lines_are_the_commands_own() -> None:
    ctx = click.Context(cli, obj=App())
    for commands in SECTIONS.values():
        for name, (_target, line) in commands.items():
            command = cli.get_command(ctx, name)
            assert command is not None and command.help
            first = " ".join(inspect.cleandoc(command.help).split("\n\n")[0].split())
            assert line == first, f"SECTIONS in cli/main.py: the line for {name!r}"


def test_help_and_completing_commands_import_no_command_module(cli: CLI) -> None:
    code = """if True:
        import sys
        from click.shell_completion import ShellComplete
        from coffeechat.cli.main import App, cli, main
        try:
            main(["--help"])
        except SystemExit:
            pass
        complete = ShellComplete(cli, {"obj": App()}, "coffeechat", "_COFFEECHAT_COMPLETE")
        names = [item.value for item in complete.get_completions([], "")]
        assert "met" in names and "paths" in names, names
        print(sorted(m for m in sys.modules if m.startswith("coffeechat.cli.")))
    """
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=cli.env(), timeout=60)
    assert proc.returncode == 0, proc.stderr
    loaded = ast.literal_eval(proc.stdout.splitlines()[-1])
    assert set(loaded) <= {"coffeechat.cli.main", "coffeechat.cli.render"}, loaded


# -- paths ---------------------------------------------------------------------------


def test_paths_with_coffeechat_home_is_one_folder(run: InProcessCLI) -> None:
    before = run.json("paths")
    assert set(before) == {"store", "head", "config", "templates", "outbox", "cache"}
    home = str(run.home)
    for name, item in before.items():
        assert item["path"].startswith(home), name
        assert item["exists"] is False or name == "store", name
    assert before["config"]["path"] == os.path.join(home, "config.toml")
    assert before["templates"]["from"] == "COFFEECHAT_HOME"
    assert before["store"]["from"] == "COFFEECHAT_DB"  # the fixture sets it
    run.run("add", "Jane Doe")
    after = run.json("paths")
    assert after["store"]["exists"] and after["head"]["exists"]
    assert after["head"]["path"] == after["store"]["path"] + ".head"
    text = run.run("paths").out
    assert text.splitlines()[0].split() == ["WHAT", "PATH", "EXISTS", "FROM"]
    assert str(run.db) in text


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """No COFFEECHAT_HOME: the platform folders, all under tmp_path."""
    monkeypatch.setattr(paths, "platform", lambda: "xdg")
    env = {"COFFEECHAT_HOME": "", "COFFEECHAT_DB": "", "HOME": str(tmp_path / "user")}
    for name in ("CONFIG", "DATA", "CACHE"):
        env[f"XDG_{name}_HOME"] = str(tmp_path / name.lower())
    return env


def test_paths_without_coffeechat_home_follow_the_xdg_rules(
        run: InProcessCLI, xdg: dict[str, str], tmp_path: Path) -> None:
    found = run.json("paths", **xdg)
    assert found["config"] == {"path": str(tmp_path / "config/coffeechat/config.toml"),
                               "exists": False, "from": "default"}
    assert found["templates"]["path"] == str(tmp_path / "config/coffeechat/templates")
    assert found["store"]["path"] == str(tmp_path / "data/coffeechat/coffeechat.db")
    assert found["outbox"]["path"] == str(tmp_path / "data/coffeechat/outbox")
    assert found["cache"]["path"] == str(tmp_path / "cache/coffeechat")
    run.run("add", "Jane Doe", **xdg)
    assert (tmp_path / "data/coffeechat/coffeechat.db").is_file()
    assert (tmp_path / "cache/coffeechat/entry-points.json").is_file()
    assert not (tmp_path / "data/coffeechat/.cache").exists()
    # Relative XDG values are ignored, as the rules say.
    relative = run.json("paths", **{**xdg, "XDG_CONFIG_HOME": "relative/dir"})
    assert relative["config"]["path"] == str(tmp_path / "user/.config/coffeechat/config.toml")


def test_settings_in_the_old_folder_are_still_used(
        run: InProcessCLI, xdg: dict[str, str], tmp_path: Path) -> None:
    old = tmp_path / "data/coffeechat"  # the one folder that held everything before
    (old / "templates").mkdir(parents=True)
    (old / "config.toml").write_text("[followups]\nthank_you_hours = 48\n")
    (old / "templates/ask.j2").write_text("Subject: hello from the old folder\n\nHi\n")
    found = run.json("paths", **xdg)
    assert found["config"] == {"path": str(old / "config.toml"), "exists": True,
                               "from": "old folder"}
    assert found["templates"]["from"] == "old folder"
    run.run("add", "Jane Doe", **xdg)
    run.run("met", "jane", "--on", "2026-11-02T08:00", **xdg)
    due = run.json("due", "--all", **xdg)
    assert [i["due_at"] for i in due if i["kind"] == "thank-you"] == ["2026-11-04T08:00:00Z"]
    assert "yours" in run.run("template", "list", **xdg).out
    # A config file at the new place wins, and the old one is left alone.
    new = tmp_path / "config/coffeechat"
    new.mkdir(parents=True)
    (new / "config.toml").write_text("[followups]\nthank_you_hours = 24\n")
    assert run.json("paths", **xdg)["config"]["from"] == "default"
    due = run.json("due", "--all", **xdg)
    assert [i["due_at"] for i in due if i["kind"] == "thank-you"] == ["2026-11-03T08:00:00Z"]


def test_windows_keeps_the_store_local_and_finds_the_old_roaming_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paths, "platform", lambda: "windows")
    monkeypatch.delenv("COFFEECHAT_HOME", raising=False)
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "Local"))
    assert paths.default_store() == str(tmp_path / "Local/coffeechat/coffeechat.db")
    assert paths.config_file() == str(tmp_path / "Roaming/coffeechat/config.toml")
    assert paths.cache_folder() == str(tmp_path / "Local/coffeechat/Cache")
    (tmp_path / "Roaming/coffeechat").mkdir(parents=True)
    (tmp_path / "Roaming/coffeechat/coffeechat.db").write_bytes(b"")
    assert paths.store_place() == (str(tmp_path / "Roaming/coffeechat/coffeechat.db"), True)


def test_macos_uses_application_support_and_caches(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paths, "platform", lambda: "macos")
    monkeypatch.delenv("COFFEECHAT_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    support = tmp_path / "Library/Application Support/coffeechat"
    assert paths.config_file() == str(support / "config.toml")
    assert paths.default_store() == str(support / "coffeechat.db")
    assert paths.cache_folder() == str(tmp_path / "Library/Caches/coffeechat")


def test_the_paths_example_in_the_docs(run: InProcessCLI, xdg: dict[str, str],
                                       tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parent.parent / "docs/configuration.md").read_text()
    shown = text.split("```console\n$ coffeechat paths\n", 1)[1].split("```", 1)[0]
    env = {**xdg, "XDG_CONFIG_HOME": "", "XDG_DATA_HOME": "", "XDG_CACHE_HOME": ""}
    run.run("add", "Jane Doe", **env)
    old = tmp_path / "user/.local/share/coffeechat/config.toml"
    old.write_text("[followups]\nnudge_days = 5\n")
    out = run.run("paths", **env).out.replace(env["HOME"], "/home/maya")
    assert [line.split() for line in out.splitlines()] == [
        line.split() for line in shown.splitlines()]


def test_paths_survives_a_broken_config(run: InProcessCLI) -> None:
    (run.home / "config.toml").write_text("[followups]\nnudge_day = 5\n")
    result = run.run("paths", "--json")
    assert result.json()["config"]["exists"] is True
    assert result.err.startswith("coffeechat: warning: ") and "nudge_day" in result.err


# -- shell completion ----------------------------------------------------------------


def completions(args: list[str], incomplete: str) -> list[tuple[str, str | None]]:
    complete = ShellComplete(cli, {"obj": App()}, "coffeechat", "_COFFEECHAT_COMPLETE")
    return [(item.value, item.help) for item in complete.get_completions(args, incomplete)]


@pytest.fixture
def people(run: InProcessCLI, monkeypatch: pytest.MonkeyPatch) -> InProcessCLI:
    for name in ("Jane Doe", "José Núñez", "Janet Smith"):
        run.run("add", name)
    run.run("met", "jane-doe", "--commitment", "send my portfolio", "--due", "2026-11-07")
    monkeypatch.setenv("COFFEECHAT_DB", str(run.db))
    return run


def test_contacts_complete_by_id_name_and_word(people: InProcessCLI) -> None:
    assert completions(["met"], "ja") == [("jane-doe", "Jane Doe"),
                                          ("janet-smith", "Janet Smith")]
    assert completions(["note"], "jose") == [("josé-núñez", "José Núñez")]
    assert completions(["thank"], "Smi") == [("janet-smith", "Janet Smith")]
    assert [v for v, _ in completions(["merge", "jane-doe"], "nu")] == ["josé-núñez"]
    assert [v for v, _ in completions(["add", "Bob", "--referred-by"], "j")] == [
        "jane-doe", "janet-smith", "josé-núñez"]
    assert completions(["met"], "zz") == []


@pytest.mark.parametrize("words", [["show"], ["referrals"], ["log", "--contact"],
                                   ["template", "render", "prep"]])
def test_reading_commands_complete_contacts_too(people: InProcessCLI, words: list[str]
                                                ) -> None:
    assert [v for v, _ in completions(words, "jose")] == ["josé-núñez"]


def test_done_completes_open_commitments(people: InProcessCLI) -> None:
    # Once an id is begun, the old form: open commitments' ids.
    due = people.json("due", "--all")
    [commitment] = [i["commitment"] for i in due if i["kind"] == "commitment"]
    [(value, help_text)] = completions(["done"], commitment[:8])
    assert value == commitment
    assert help_text == "Jane Doe: promised: send my portfolio"
    # With nothing typed: the handle of every open follow-up, as `due` shows them.
    offered = dict(completions(["done"], ""))
    assert set(offered) == {i["handle"] for i in due}
    [handle] = [i["handle"] for i in due if i["kind"] == "commitment"]
    assert offered[handle].startswith("Jane Doe: commitment, promised: send my portfolio")
    people.run("done", value)
    assert completions(["done"], commitment[:8]) == []
    assert handle not in dict(completions(["done"], ""))


def test_completion_never_creates_or_catches_up_a_store(
        run: InProcessCLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nowhere" / "store.db"
    monkeypatch.setenv("COFFEECHAT_DB", str(missing))
    assert completions(["met"], "") == []
    assert not missing.exists() and not missing.parent.exists()
    run.run("add", "Jane Doe")  # (a recording command leaves its own events unprojected)

    def checkpoints() -> list[Any]:
        import apsw

        db = apsw.Connection(str(run.db))
        try:
            return list(db.execute("SELECT name, checkpoint FROM projections ORDER BY name"))
        finally:
            db.close()

    before = checkpoints()
    assert ("contacts", 1) not in before
    assert completions(["--db", str(run.db), "met"], "j") == [("jane-doe", "Jane Doe")]
    assert checkpoints() == before
    assert completions(["--db", str(missing), "met"], "j") == []


def test_completion_through_the_shell_protocol(cli: CLI) -> None:
    cli.run("add", "Jane Doe")

    def shell(instruction: str, **env: str) -> str:
        proc = subprocess.run([sys.executable, "-m", "coffeechat"], capture_output=True,
                              text=True, timeout=60,
                              env=cli.env(_COFFEECHAT_COMPLETE=instruction, **env))
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    assert shell("bash_complete", COMP_WORDS="coffeechat met ja", COMP_CWORD="2") == (
        "plain,jane-doe\n")
    assert "plain,checkin" in shell("bash_complete", COMP_WORDS="coffeechat ch", COMP_CWORD="1")
    assert shell("zsh_complete", COMP_WORDS="coffeechat met ja", COMP_CWORD="2") == (
        "plain\njane-doe\nJane Doe\n")
    assert shell("fish_complete", COMP_WORDS="coffeechat met ja", COMP_CWORD="ja") == (
        "plain,jane-doe\tJane Doe\n")
    for instruction, marker in (("bash_source", "complete -o nosort -F"),
                                ("zsh_source", "#compdef coffeechat"),
                                ("fish_source", "complete --no-files --command coffeechat")):
        assert marker in shell(instruction)


# -- plugin commands get --json ------------------------------------------------------


def hello(run: InProcessCLI, *args: str, expect: int = 0) -> Any:
    return run.run("--plugins-dir", str(PLUGINS), *args, expect=expect,
                   COFFEECHAT_LOAD_PLUGINS="cli_hello")


def test_a_plugin_command_takes_json_before_or_after_its_name(run: InProcessCLI) -> None:
    assert hello(run, "hello", "jane").out == "hello, jane\n"
    assert hello(run, "hello", "jane", "--json").json() == {"hello": "jane"}
    assert hello(run, "--json", "hello", "jane").json() == {"hello": "jane"}
    assert hello(run, "greet", "formally", "Ann", "--json").json() == {
        "greeting": "Good day, Ann"}
    assert hello(run, "greet", "--json", "formally", "Ann").json() == {
        "greeting": "Good day, Ann"}
    assert "--json" in hello(run, "hello", "--help").out
    listed = hello(run, "--help").out.split(f"\n{PLUGIN_SECTION}:\n")[1].split("\n\n")[0]
    assert "hello " in listed and "greet " in listed


def test_json_is_added_to_a_copy_of_the_plugin_command() -> None:
    import importlib.util

    from coffeechat.cli.main import PluginCommands

    spec = importlib.util.spec_from_file_location("cli_hello_copy", PLUGINS / "cli_hello.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    added = PluginCommands("coffeechat")
    module.register_commands(added)

    def has_json(command: click.Command) -> bool:
        return any("--json" in getattr(p, "opts", ()) for p in command.params)

    assert has_json(added.commands["hello"]) and not has_json(module.hello)
    formally = added.commands["greet"].commands["formally"]  # type: ignore[attr-defined]
    assert has_json(formally) and not has_json(module.formally)


def test_a_plugin_command_that_fails_says_so_in_one_line(run: InProcessCLI, cli: CLI) -> None:
    env = {"COFFEECHAT_LOAD_PLUGINS": "cli_boom"}
    failed = run.run("--plugins-dir", str(PLUGINS), "boom", expect=1, **env)
    assert failed.err == ("coffeechat: error: plugin command 'boom' failed: KeyError: "
                          "'missing' (COFFEECHAT_TRACE_PLUGINS=1 shows where)\n")
    red = run.run("--plugins-dir", str(PLUGINS), "boom-red", expect=1, **env)
    assert ESC not in red.err and "\\x1b[2J\\x1b[31mcleared and red" in red.err
    traced = cli.run("--plugins-dir", str(PLUGINS), "boom", expect=1,
                     COFFEECHAT_TRACE_PLUGINS="1", **env)  # the plugin's author sees where
    assert "Traceback" in traced.err and "cli_boom.py" in traced.err


def test_plugin_commands_stay_with_their_run(run: InProcessCLI) -> None:
    hello(run, "hello")
    assert "No such command 'hello'" in run.run("hello", expect=2).err
    assert "hello" not in cli.commands


# -- met --commitment X --due D ------------------------------------------------------


def promises(run: InProcessCLI) -> list[tuple[str, str | None]]:
    timeline = run.json("show", "jane")["timeline"]
    return [(e["data"]["text"], e["data"].get("due")) for e in timeline
            if e["type"] == "commitment.made"]


def test_each_due_belongs_to_the_commitment_right_before_it(run: InProcessCLI) -> None:
    run.run("add", "Jane Doe")
    run.run("met", "jane", "--commitment", "a", "--due", "2026-11-10", "--notes", "n",
            "--commitment=b", "--takeaway", "t", "--commitment", "c", "--due=2026-11-12",
            "--commitment", "--due")  # a commitment whose text is "--due"
    assert promises(run) == [("a", "2026-11-10T23:59:59Z"), ("b", None),
                             ("c", "2026-11-12T23:59:59Z"), ("--due", None)]


@pytest.mark.parametrize("args", [
    ["--due", "2026-11-10"],
    ["--due", "2026-11-10", "--commitment", "a"],
    ["--commitment", "a", "--due", "2026-11-10", "--due", "2026-11-11"],
])
def test_a_due_without_its_commitment_is_one_line(run: InProcessCLI, args: list[str]) -> None:
    run.run("add", "Jane Doe")
    before = run.count()
    result = run.run("met", "jane", *args, expect=1)
    assert result.err == ("coffeechat: error: --due: give it right after the --commitment it "
                          "belongs to\n")
    assert run.count() == before

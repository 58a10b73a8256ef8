"""Plugins: loading, isolation, and a real third-party plugin talking to a real HTTP server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLI
from tests.test_examples import Receiver, install_examples

TEST_PLUGINS = Path(__file__).parent / "plugins"


# -- a real webhook receiver on 127.0.0.1 -------------------------------------------


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture(scope="session")
def webhook_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/coffeechat-webhook installed as a user would, into a throwaway folder."""
    return install_examples(tmp_path_factory)


@pytest.fixture
def hooked(cli: CLI, webhook_site: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
           ) -> CLI:
    """The webhook plugin installed (on PYTHONPATH for the CLI's processes), configured."""
    monkeypatch.setenv("PYTHONPATH", str(webhook_site))
    url = f"http://127.0.0.1:{receiver.port}/hooks/coffee"
    (cli.home / "config.toml").write_text(f'[plugins.webhook]\nurl = "{url}"\ncheck_days = 3\n')
    cli.ids("add", "Jane Doe", "--company", "Acme", "--email", "jane@example.com")
    return cli


WEB = {"COFFEECHAT_LOAD_PLUGINS": "webhook"}  # (installed, and allowed)
BUILT_INS = ["channels", "email", "templates", "notes", "notes_sync", "markdown_views", "importers"]


# -- the third-party plugin -----------------------------------------------------------


def test_ask_via_webhook_posts_then_records(hooked: CLI, receiver: Receiver) -> None:
    result = hooked.run("ask", "jane", "--via", "webhook", "--send", **WEB)
    assert result.err == ""
    assert "posted to the webhook (HTTP 200)" in result.out
    [post] = receiver.posts
    assert post["path"] == "/hooks/coffee"
    assert post["content_type"] == "application/json"
    assert post["json"]["contact"] == "jane-doe"
    assert post["json"]["text"].startswith("Would you have 20 minutes")
    assert "Hi Jane," in post["json"]["body"]

    [event] = [e for e in hooked.json("log", **WEB) if e["type"] == "request.sent"]
    assert event["data"]["channel"] == "webhook"
    assert event["data"]["subject"] == post["json"]["subject"]
    assert event["data"]["body"] == post["json"]["body"]


def test_the_plugin_rule_and_command(hooked: CLI) -> None:
    hooked.run("ask", "jane", "--via", "webhook", "--send", **WEB)
    hooked.now = "2026-11-05T09:00:00Z"
    due = {(d["kind"], d["due_at"]) for d in hooked.json("due", **WEB)}
    assert ("check-thread", "2026-11-05T09:00:00Z") in due
    assert ("nudge", "2026-11-09T09:00:00Z") in due
    out = hooked.run("thread-checked", "jane", "--note", "no reply yet", **WEB).out
    assert "webhook.thread-checked" in out
    assert "check-thread" not in [d["kind"] for d in hooked.json("due", **WEB)]
    assert "thread-checked" in hooked.run("--help", **WEB).out


@pytest.mark.parametrize("status", [500, 403])
def test_a_refusing_webhook_records_nothing(hooked: CLI, receiver: Receiver, status: int
                                            ) -> None:
    receiver.status = status
    before = hooked.count()
    result = hooked.run("ask", "jane", "--via", "webhook", "--send", expect=1, **WEB)
    assert result.err.splitlines() == [
        f"coffeechat: error: --send: the webhook refused the message (HTTP {status})"]
    assert hooked.count() == before


def test_an_unreachable_webhook_records_nothing(hooked: CLI, receiver: Receiver) -> None:
    receiver.close()  # the server is down
    before = hooked.count()
    result = hooked.run("thank", "jane", "--via", "webhook", "--send", expect=1, **WEB)
    assert "cannot reach the webhook" in result.err
    assert len(result.err.splitlines()) == 1
    assert hooked.count() == before


def test_plugins_lists_built_ins_and_the_example(hooked: CLI) -> None:
    plugins = {p["name"]: p for p in hooked.json("plugins", **WEB)}
    assert plugins["channels"]["source"] == "built-in"
    assert plugins["channels"]["hooks"] == ["register_channels"]
    webhook = plugins["webhook"]
    assert (webhook["source"], webhook["version"]) == ("entry point", "0.1.0")
    assert webhook["package"] == "coffeechat-webhook"
    assert webhook["hooks"] == ["register_channels", "register_commands", "register_event_types",
                                "register_followup_rules"]
    assert "webhook" not in {p["name"] for p in hooked.json("plugins")}  # the allow-list
    text = hooked.run("plugins", **WEB).out
    assert "webhook" in text and "entry point" in text


def test_events_of_an_uninstalled_plugin_are_kept_and_come_back(hooked: CLI) -> None:
    hooked.run("thread-checked", "jane", **WEB)
    # Without the plugin the store still opens; its event shows as an unknown type.
    shown = hooked.json("show", "jane")
    checked = next(e for e in shown["timeline"] if e["type"] == "webhook.thread-checked")
    assert checked["known"] is False
    assert "unknown type" in hooked.run("show", "jane").out
    hooked.run("rebuild")
    assert any(e["type"] == "webhook.thread-checked" for e in hooked.json("log"))
    assert hooked.run("verify").code == 0
    # With the plugin back, the event is known again and its rule sees it.
    hooked.run("ask", "jane", "--via", "webhook", "--send", **WEB)
    hooked.now = "2026-11-06T00:00:00Z"
    assert "check-thread" in [d["kind"] for d in hooked.json("due", **WEB)]
    back = hooked.json("show", "jane", **WEB)["timeline"]
    assert all(e["known"] for e in back)


# -- plugins from a folder, and isolation -----------------------------------------------


def run_with(cli: CLI, names: list[str], *args: str, expect: int = 0, **env: str) -> Any:
    """Run with the test plugins folder, loading only the named plugins from it."""
    return cli.run("--plugins-dir", str(TEST_PLUGINS), *args, expect=expect,
                   COFFEECHAT_LOAD_PLUGINS=",".join(names), **env)


def test_a_plugin_that_breaks_on_load_is_reported_and_the_rest_works(cli: CLI) -> None:
    result = run_with(cli, ["broken_on_load", "appended_log"], "add", "Jane Doe",
                      APPENDED_LOG=str(cli.home / "appended.log"))
    assert result.err.splitlines() == [
        "coffeechat: warning: plugin 'broken_on_load' failed in load: "
        "RuntimeError: this plugin is broken on purpose"]
    assert cli.count() == 1
    assert (cli.home / "appended.log").read_text() == "contact.added 1 1\n"


def test_a_misspelled_hook_is_an_error_naming_the_plugin(cli: CLI) -> None:
    result = run_with(cli, ["misspelled"], "plugins")
    [warning] = result.err.splitlines()
    assert warning.startswith("coffeechat: warning: plugin 'misspelled' failed in load:")
    assert "register_chanels" in warning
    assert "misspelled" not in result.out


def test_a_failing_event_appended_leaves_the_event_recorded(cli: CLI) -> None:
    result = run_with(cli, ["failing_appended"], "add", "Jane Doe")
    assert result.code == 0  # the event was recorded
    assert "contact.added" in result.out
    assert result.err.splitlines() == [
        "coffeechat: warning: plugin 'failing_appended' failed in event_appended: "
        "ValueError: cannot handle contact.added"]
    assert cli.count() == 1
    assert cli.json("contacts")[0]["id"] == "jane-doe"


def test_a_channel_that_fails_records_nothing(cli: CLI) -> None:
    cli.ids("add", "Jane Doe")
    result = run_with(cli, ["pigeon"], "ask", "jane", "--via", "pigeon", "--send", expect=1)
    assert result.err.splitlines() == [
        "coffeechat: error: --send: the 'pigeon' channel failed (ConnectionResetError: the "
        "pigeon flew off); nothing was recorded"]
    assert cli.count() == 1
    # Without --send the same channel records a message sent by hand.
    run_with(cli, ["pigeon"], "ask", "jane", "--via", "pigeon")
    assert cli.count() == 2


def test_record_only_channels_refuse_send_and_draft_as_text(cli: CLI) -> None:
    cli.ids("add", "Jane Doe")
    err = cli.run("ask", "jane", "--via", "linkedin", "--send", expect=1).err
    assert "--send: the 'linkedin' channel cannot" in err
    # (issue 10: --draft works on every channel; a record-only one's draft is text)
    assert "draft written to " in cli.run("ask", "jane", "--via", "linkedin", "--draft").out
    assert cli.count() == 1


def test_allow_list_and_tracing(cli: CLI) -> None:
    result = run_with(cli, [], "plugins", "--json")
    assert [p["name"] for p in json.loads(result.out)] == BUILT_INS
    traced = cli.run("--plugins-dir", str(TEST_PLUGINS), "add", "Jane Doe",
                     COFFEECHAT_LOAD_PLUGINS="appended_log", COFFEECHAT_TRACE_PLUGINS="1",
                     APPENDED_LOG=str(cli.home / "log.txt"))
    assert "coffeechat: hook event_appended -> appended_log" in traced.err
    traced = cli.run("--plugins-dir", str(TEST_PLUGINS), "ask", "jane",  # ask names a channel
                     COFFEECHAT_LOAD_PLUGINS="appended_log", COFFEECHAT_TRACE_PLUGINS="1",
                     APPENDED_LOG=str(cli.home / "log.txt"))
    assert "coffeechat: hook register_channels -> channels" in traced.err


def test_plugins_dir_from_the_config_file(cli: CLI) -> None:
    (cli.home / "config.toml").write_text(f'plugins_dir = "{TEST_PLUGINS}"\n')
    listed = cli.json("plugins", COFFEECHAT_LOAD_PLUGINS="pigeon")
    assert {p["name"]: p["source"] for p in listed} == {
        **dict.fromkeys(BUILT_INS, "built-in"), "pigeon": "plugins dir"}


def test_a_read_with_nothing_new_loads_no_plugins(cli: CLI) -> None:
    marker = cli.home / "imports.txt"

    def due() -> None:
        run_with(cli, ["import_marker"], "due", IMPORT_LOG=str(marker))

    def imports() -> int:
        return len(marker.read_text().splitlines()) if marker.exists() else 0

    cli.ids("add", "Jane Doe")
    due()
    assert imports() == 1  # something new to apply (and a new plugin set): loaded once
    due()
    due()
    assert imports() == 1  # nothing new: no plugin loaded
    run_with(cli, ["import_marker"], "note", "jane", "hello", IMPORT_LOG=str(marker))
    assert imports() == 2  # recording loads plugins (event_appended)
    due()
    assert imports() == 3  # the note is new: caught up, with plugins
    due()
    assert imports() == 3


def test_new_style_wrappers_run_and_old_style_ones_are_refused(cli: CLI) -> None:
    result = run_with(cli, ["wrapper", "api_hookwrapper"], "add", "Jane Doe")
    assert "around contact.added" in result.out  # the wrapper ran around event_appended
    assert result.err.splitlines() == [
        "coffeechat: warning: plugin 'api_hookwrapper' failed in load: event_appended: "
        "old-style hookwrapper=True is not supported; use @hookimpl(wrapper=True)"]
    assert cli.count() == 1


def test_a_rule_from_a_plugins_dir_counts_without_a_rebuild(run: CLI) -> None:
    """A rule plugin put in a folder given with --plugins-dir: `due` shows its items at once,
    and stops showing them when the folder is not given (nothing but a plain read)."""
    run.run("add", "Jane Doe")
    run.run("met", "jane")

    def kinds(*args: str) -> set[str]:
        result = run.run(*args, "due", "--all", "--json", COFFEECHAT_LOAD_PLUGINS="api_rule")
        return {item["kind"] for item in result.json()}

    assert "write-up" not in kinds()
    assert "write-up" in kinds("--plugins-dir", str(TEST_PLUGINS))
    assert "write-up" in kinds("--plugins-dir", str(TEST_PLUGINS))
    assert "write-up" not in kinds()
    (run.home / "config.toml").write_text(f'plugins_dir = "{TEST_PLUGINS}"\n')
    assert "write-up" in kinds()


def test_a_rule_added_to_the_plugins_dir_counts_without_a_rebuild(run: CLI, tmp_path: Path
                                                                  ) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    run.run("add", "Jane Doe")
    run.run("met", "jane")

    def kinds() -> set[str]:
        result = run.run("--plugins-dir", str(folder), "due", "--all", "--json",
                         COFFEECHAT_LOAD_PLUGINS="api_rule")
        return {item["kind"] for item in result.json()}

    assert "write-up" not in kinds()
    (folder / "api_rule.py").write_text((TEST_PLUGINS / "api_rule.py").read_text())
    assert "write-up" in kinds()
    (folder / "api_rule.py").unlink()
    assert "write-up" not in kinds()


def test_event_appended_hears_imports_and_notes(cli: CLI, tmp_path: Path) -> None:
    log = cli.home / "appended.log"
    data = Path(__file__).parent / "data" / "linkedin-old.csv"
    run_with(cli, ["appended_log"], "import", "linkedin", str(data), APPENDED_LOG=str(log))
    assert log.read_text().splitlines()[0].startswith("contact.added 1 ")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "ana.md").write_text("---\ncontact: Ana Silva\n---\nmet at the fair\n")
    run_with(cli, ["appended_log"], "watch", str(notes), "--once", APPENDED_LOG=str(log))
    assert "note.added" in log.read_text()


def test_the_built_in_plugin_table_names_each_modules_hooks() -> None:
    import importlib

    from coffeechat.plugin_manager import BUILTINS

    plain = {"wrapper": False, "hookwrapper": False, "optionalhook": False,
             "tryfirst": False, "trylast": False, "specname": None}
    for module_name, hooks in BUILTINS.items():
        module = importlib.import_module(module_name)
        implemented = {name: value.coffeechat_impl for name, value in vars(module).items()
                       if callable(value) and hasattr(value, "coffeechat_impl")}
        assert set(implemented) == set(hooks), module_name
        # (a built-in is registered before it is imported, with plain options)
        assert all(opts == plain for opts in implemented.values()), module_name

"""The plugin API: what coffeechat exports, the read API, and hooks called the pluggy way.

Plugins for these tests are the ``api_*.py`` files in tests/plugins.
"""

from __future__ import annotations

import ast
import inspect
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import coffeechat
from coffeechat.store import open_store
from tests.conftest import CLI, Result

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = Path(__file__).parent / "plugins"


def with_plugins(cli: CLI, names: list[str], *args: str, expect: int = 0, **env: str
                 ) -> Result:
    return cli.run("--plugins-dir", str(PLUGINS), *args, expect=expect,
                   COFFEECHAT_LOAD_PLUGINS=",".join(names), **env)


# -- what coffeechat exports ------------------------------------------------------------


def test_import_coffeechat_stays_cheap_and_exports_lazily() -> None:
    script = ("import sys, coffeechat; "
              "print(sorted(m for m in sys.modules if m.startswith(('coffeechat.', 'pluggy', "
              "'msgspec', 'apsw', 'click'))))")
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True).stdout
    assert loaded.strip() == "[]"
    assert sorted(coffeechat.__all__) == sorted(coffeechat._LAZY)
    for name in coffeechat.__all__:
        assert getattr(coffeechat, name) is not None, name


def test_the_types_plugins_need_live_in_core_and_the_old_paths_still_work() -> None:
    from coffeechat.plugins import markdown_views, notes, notes_read

    assert coffeechat.Note.__module__ == "coffeechat.notebook"
    assert coffeechat.ViewContext.__module__ == "coffeechat.views"
    assert (notes.Note, notes.NoteBook, notes.NoteProblem) == (
        coffeechat.Note, coffeechat.NoteBook, coffeechat.NoteProblem)
    assert (notes_read.FrontMatter, notes_read.NoteError) == (
        coffeechat.FrontMatter, coffeechat.NoteError)
    assert markdown_views.ViewContext is coffeechat.ViewContext


def test_core_imports_nothing_from_plugins_or_the_cli() -> None:
    for path in sorted((ROOT / "core").rglob("*.py")):
        if path.name == "__main__.py":  # (python -m coffeechat runs the CLI)
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert not name.startswith(("coffeechat.plugins", "coffeechat.cli")), (
                    f"{path.relative_to(ROOT)} imports {name}")


def test_hookspecs_are_typed() -> None:
    from coffeechat import hookspecs

    for name, spec in vars(hookspecs).items():
        if not hasattr(spec, "coffeechat_spec") or name == "register_importers":
            continue  # (register_importers is typed with the importers)
        annotations = [p.annotation for p in inspect.signature(spec).parameters.values()]
        assert all(a is not inspect.Parameter.empty and "Any" not in a for a in annotations), (
            name, annotations)


# -- the read API -----------------------------------------------------------------------


@pytest.fixture
def reader(run: CLI, monkeypatch: pytest.MonkeyPatch) -> Iterator[coffeechat.Reader]:
    monkeypatch.setenv("COFFEECHAT_LOAD_PLUGINS", "")  # (as the CLI runs in these tests)
    monkeypatch.setenv("COFFEECHAT_NOW", run.now)
    store = open_store(run.db)
    yield coffeechat.Reader(store)
    store.close()


def test_the_reader_applies_undos_and_merges(run: CLI, reader: coffeechat.Reader) -> None:
    run.run("add", "Dan Wu", "--company", "Acme")
    run.run("add", "Daniel Wu", "--phone", "+1 555 0100")
    [ask] = [r["id"] for r in run.json("ask", "dan-wu")["recorded"]]
    run.run("undo", ask)
    run.run("ask", "daniel")
    run.run("merge", "dan-wu", "daniel-wu")
    [dan] = reader.contacts()  # (Daniel is part of Dan now)
    assert (dan.id, dan.name, dan.company, dan.phone, dan.stage) == (
        "dan-wu", "Dan Wu", "Acme", "+1 555 0100", "asked")
    assert dan.aliases == ["daniel-wu"]
    assert reader.contact("daniel-wu").id == "dan-wu"  # a merged id names the one it became
    events = reader.events("dan")
    assert [e.type for e in events] == ["contact.added", "contact.added", "request.sent",
                                        "contact.merged"]
    assert ask not in {e.id for e in events}  # undone, and the undo itself is left out
    assert all(isinstance(e, coffeechat.Event) for e in events)
    assert events == reader.events(dan)


def test_the_reader_catches_up_and_lists_what_is_due(run: CLI, reader: coffeechat.Reader) -> None:
    assert reader.contacts() == [] and reader.due() == []
    run.run("add", "Jane Doe")
    run.run("met", "jane", "--on", "2026-10-31T10:00:00Z", "--commitment", "send a link",
            "--due", "2026-11-20")
    items = reader.due()  # (the new events are applied first)
    assert items == [coffeechat.DueItem(**item) for item in run.json("due", "--all")]
    assert [(i.kind, i.overdue) for i in items] == [
        ("thank-you", True), ("commitment", False), ("check-in", False)]
    assert items[1].commitment is not None
    assert [i.kind for i in reader.due(within_days=7)] == ["thank-you"]
    assert reader.due(contact="jane") == items
    with pytest.raises(coffeechat.BadInput, match="no contact matches 'bob'"):
        reader.contact("bob")


def test_a_reader_with_the_cli_plugins_sees_their_rules(run: CLI, monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    from coffeechat.config import load_config

    monkeypatch.setenv("COFFEECHAT_LOAD_PLUGINS", "api_rule")
    run.run("add", "Jane Doe")
    run.run("met", "jane")
    store = open_store(run.db)
    try:
        plugins = coffeechat.Plugins(load_config(), plugins_dir=str(PLUGINS))
        kinds = {item.kind for item in coffeechat.Reader(store, plugins).due()}
    finally:
        store.close()
    assert "write-up" in kinds
    listed = run.run("--plugins-dir", str(PLUGINS), "due", "--all", "--json",
                     COFFEECHAT_LOAD_PLUGINS="api_rule").json()
    assert "write-up" in {item["kind"] for item in listed}


# -- hooks called the pluggy way --------------------------------------------------------------


def test_pluggy_orders_the_calls(run: CLI) -> None:
    run.run("add", "Jane Doe", "--phone", "+1 555 0100")
    # api_courier_b is registered after api_courier_a, so pluggy calls it first: its
    # channel of the same name wins. api_courier_c says trylast: it is called last.
    sent = with_plugins(run, ["api_courier_a", "api_courier_b"], "ask", "jane", "--via",
                        "courier", "--send")
    assert "courier b took it to +1 555 0100" in sent.out
    sent = with_plugins(run, ["api_courier_a", "api_courier_c"], "thank", "jane", "--via",
                        "courier", "--send")
    assert "courier a took it to +1 555 0100" in sent.out


def test_tracing_shows_each_call_in_pluggy_order(run: CLI) -> None:
    run.run("add", "Jane Doe")
    # (channels load when a command names one: ask does, add does not)
    traced = with_plugins(run, ["api_courier_a"], "ask", "jane",
                          COFFEECHAT_TRACE_PLUGINS="1").err.splitlines()
    calls = [line for line in traced if "register_channels" in line]
    assert calls == [f"coffeechat: hook register_channels -> {name}"
                     for name in ("api_courier_a", "email", "channels")]


def test_a_built_in_is_imported_only_when_one_of_its_hooks_is_called() -> None:
    script = """
import sys
from coffeechat.config import Config
from coffeechat.plugin_manager import Plugins

def loaded():
    return sorted(m.rsplit(".", 1)[1] for m in sys.modules if m.startswith("coffeechat.plugins."))

plugins = Plugins(Config())
plugins.pm
print(loaded())
plugins.channels()
print(loaded())
print(sorted(info.name for info in plugins.info() if info.source == "built-in"))
print(loaded())
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, env={"COFFEECHAT_LOAD_PLUGINS": "", "PATH": ""}).stdout
    at_load, after_channels, listed, after_listing = out.splitlines()
    # (notes_sync registers its event types when the plugins load; it needs the notes reader)
    assert at_load == str(["notes", "notes_parse", "notes_read", "notes_sync"])
    assert after_channels == str(["channels", "email", "notes", "notes_parse", "notes_read",
                                  "notes_sync"])
    assert len(json.loads(listed.replace("'", '"'))) == 7
    assert after_listing == after_channels  # (listing the plugins imports none)


def test_a_channel_says_which_contact_field_it_addresses(run: CLI) -> None:
    run.run("add", "Jane Doe", "--email", "jane@example.com")
    result = with_plugins(run, ["api_courier_a", "api_fax"], "ask", "jane", "--via", "courier",
                          "--send", expect=1)
    assert result.err.splitlines() == [
        "coffeechat: warning: plugin 'api_fax' failed in register_channels: channel 'fax': "
        "address 'fax' is not a contact field (email, phone, linkedin)",
        "coffeechat: error: --send: Jane Doe has no phone number, which the 'courier' channel "
        "needs (add one: coffeechat edit jane-doe --phone ...); nothing was recorded"]
    assert run.count() == 1


# -- templates from plugins ----------------------------------------------------------------


@pytest.fixture
def jane(run: CLI) -> CLI:
    (run.home / "config.toml").write_text('[me]\nname = "Maya Lopez"\n')
    run.run("add", "Jane Doe", "--company", "Acme", "--email", "jane@acme.example")
    return run


def test_a_plugins_template_folder_is_listed_shown_and_rendered(jane: CLI) -> None:
    folder = str(PLUGINS / "api_templates")
    listed = {t["name"]: t["source"] for t in with_plugins(
        jane, ["api_templates"], "template", "list", "--json").json()}
    assert listed == {"coffee": folder, "thank": folder, "ask": "built-in",
                      "checkin": "built-in", "nudge": "built-in", "prep": "built-in"}
    shown = with_plugins(jane, ["api_templates"], "template", "show", "coffee").out
    assert shown.startswith("Subject: Coffee soon, {{ contact.first_name }}?")
    rendered = with_plugins(jane, ["api_templates"], "template", "render", "thank", "jane",
                            "--json").json()
    assert (rendered["subject"], rendered["body"]) == ("Thanks from a plugin", "Thank you, Jane!\n")
    recorded = with_plugins(jane, ["api_templates"], "ask", "jane", "--template", "coffee",
                            "--json").json()["recorded"]
    data = next(e for e in jane.json("log") if e["id"] == recorded[0]["id"])["data"]
    assert data["subject"] == "Coffee soon, Jane?"
    assert "coffee" not in {t["name"] for t in jane.json("template", "list")}  # (not loaded)


def test_template_render_asks_the_plugins_like_ask_does(jane: CLI) -> None:
    names = ["api_shouting", "api_signature"]
    shouted = with_plugins(jane, names, "template", "render", "hey!", "jane", "--json").json()
    assert (shouted["subject"], shouted["body"]) == (
        "HEY!", "HELLO JANE DOE\n-- sent with coffeechat\n")  # (and the wrapper's signature)
    thank = with_plugins(jane, names, "template", "render", "thank", "jane").out
    assert thank.endswith("Maya Lopez\n-- sent with coffeechat\n")
    unknown = with_plugins(jane, [], "template", "render", "hey!", "jane", expect=1).err
    assert "no template 'hey!'" in unknown


def test_a_wrapper_that_fails_around_compose_message_stops_the_command(jane: CLI) -> None:
    before = jane.count()
    result = with_plugins(jane, ["api_signature"], "ask", "jane", "--template", "ask",
                          expect=1, API_SIGNATURE="raise")
    assert result.err.splitlines() == [
        "coffeechat: error: plugin 'api_signature' failed to compose the message: "
        "RuntimeError: the signature is broken on purpose; nothing was sent or recorded"]
    assert jane.count() == before

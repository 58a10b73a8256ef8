"""An event type is one class: a plugin's type has the powers of a built-in one.

The plugin in tests/plugins/event_type_gift.py defines ``gift.sent`` (its own
description, a touch, searchable) and ``gift.idea`` (nothing said: described by
its fields, no touch, not searchable), each one class.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from coffeechat.clock import local_time
from coffeechat.events import (
    BUILT_IN_TYPES,
    EVENT_TYPES,
    SCHEMAS,
    Payload,
    register_event_type,
    type_name,
)
from coffeechat.summary import describe, describe_document
from tests.conftest import CLI, Result

ROOT = Path(__file__).resolve().parent.parent
TEST_PLUGINS = Path(__file__).parent / "plugins"
GIFTS = {"COFFEECHAT_LOAD_PLUGINS": "event_type_gift"}


def gifts(run: CLI, *args: str, expect: int | None = 0) -> Result:
    return run.run("--plugins-dir", str(TEST_PLUGINS), *args, expect=expect, **GIFTS)


def gifts_json(run: CLI, *args: str) -> Any:
    return gifts(run, *args, "--json").json()


@pytest.fixture
def jane(run: CLI) -> CLI:
    """Jane, met on 2 November; a check-in is due 90 days after that touch."""
    gifts(run, "add", "Jane Doe", "--company", "Acme")
    gifts(run, "met", "jane", "--notes", "Talked about platform teams")
    run.now = "2026-11-20T10:00:00Z"
    return run


def check_in_due(run: CLI) -> str:
    shown = gifts_json(run, "show", "jane")
    return next(f["due_at"] for f in shown["followups"] if f["kind"] == "check-in")


def test_a_plugin_type_reads_as_it_says_in_log_and_show(jane: CLI) -> None:
    gifts(jane, "gift", "jane", "a book", "--note", "for her trip")
    gifts(jane, "gift-idea", "jane", "Team Topologies", "--budget", "30", "--tag", "books")
    for command in (("log",), ("show", "jane")):
        text = gifts(jane, *command).out
        assert "sent a gift: a book (for her trip)" in text
        assert "idea: Team Topologies · budget: 30 · tags: books" in text
    timeline = gifts_json(jane, "show", "jane")["timeline"]
    assert [e["known"] for e in timeline if e["type"].startswith("gift.")] == [True, True]


def test_a_touch_moves_the_check_in_clock_and_other_types_do_not(jane: CLI) -> None:
    assert check_in_due(jane) == "2027-01-31T09:00:00Z"  # 90 days after the meeting
    gifts(jane, "gift-idea", "jane", "a plant")
    assert check_in_due(jane) == "2027-01-31T09:00:00Z"
    gifts(jane, "gift", "jane", "a book")
    assert gifts_json(jane, "contacts")[0]["last_touch_at"] == "2026-11-20T10:00:00Z"
    assert check_in_due(jane) == "2027-02-18T10:00:00Z"  # 90 days after the gift
    gifts(jane, "undo")
    assert check_in_due(jane) == "2027-01-31T09:00:00Z"


def test_a_searchable_type_is_found_and_the_others_are_not(jane: CLI) -> None:
    gifts(jane, "gift", "jane", "a pottery book")
    gifts(jane, "gift-idea", "jane", "handmade mug")
    hits = gifts_json(jane, "search", "pottery")
    assert [(h["contact"], h["type"]) for h in hits] == [("jane-doe", "gift.sent")]
    assert gifts_json(jane, "search", "handmade") == []


def test_without_the_plugin_its_events_are_unknown_and_shown_as_stored(jane: CLI) -> None:
    gifts(jane, "gift", "jane", "a book")
    text = jane.run("log").out
    assert '(unknown type: its plugin is not installed) {"item":"a book"}' in text


# -- the class and the registry ---------------------------------------------------


class Parcel(Payload):
    type_name = "test.parcel"
    touch = True

    sent: datetime
    fragile: bool = False
    labels: tuple[str, ...] = ()
    weight: float | None = None


def test_the_default_description_reads_the_fields_that_are_set() -> None:
    parcel = Parcel(sent=datetime(2026, 11, 20, 9, 30, tzinfo=UTC), fragile=True,
                    labels=("this way up", "glass"))
    assert parcel.describe() == (f"sent: {local_time('2026-11-20T09:30:00Z')} · fragile · "
                                 "labels: this way up, glass")


def test_registering_sets_the_class_facts_and_the_registry_follows() -> None:
    register_event_type("test.parcel", Parcel, schema=3)
    try:
        assert EVENT_TYPES["test.parcel"] is Parcel and SCHEMAS["test.parcel"] == 3
        assert Parcel.schema == 3 and Parcel.touch and Parcel.searchable
        assert type_name(Parcel(sent=datetime(2026, 1, 1, tzinfo=UTC))) == "test.parcel"
    finally:
        EVENT_TYPES.pop("test.parcel")
        SCHEMAS.pop("test.parcel")
        Parcel.schema = 1
    with pytest.raises(KeyError, match="not a registered event type"):
        type_name(Parcel(sent=datetime(2026, 1, 1, tzinfo=UTC)))


def test_a_field_may_not_hide_what_the_class_says_about_its_type() -> None:
    class Poke(Payload):
        touch: str

    class Loose:
        pass

    with pytest.raises(ValueError, match="field named 'touch'"):
        register_event_type("test.poke", Poke)
    with pytest.raises(TypeError, match="not a subclass"):
        register_event_type("test.loose", Loose)  # type: ignore[arg-type]
    assert "test.poke" not in EVENT_TYPES and "test.loose" not in EVENT_TYPES


def test_a_description_that_fails_falls_back_to_the_stored_text() -> None:
    class Broken(Payload):
        text: str

        def describe(self) -> str:
            raise RuntimeError("a bug in a plugin")

    register_event_type("test.broken", Broken)
    try:
        assert describe("test.broken", '{"text":"hi"}') == '{"text":"hi"}'
        doc = {"type": "test.broken", "schema": 1, "data": '{"text":"hi"}'}
        assert describe_document(doc) == '{"text":"hi"}'
    finally:
        EVENT_TYPES.pop("test.broken")
        SCHEMAS.pop("test.broken")


def test_every_built_in_type_is_registered_under_its_own_name() -> None:
    for cls in BUILT_IN_TYPES:
        assert EVENT_TYPES[cls.type_name] is cls
        assert SCHEMAS[cls.type_name] == cls.schema


def test_the_touches_in_the_event_reference_are_the_classes_touches() -> None:
    text = (ROOT / "docs" / "events.md").read_text()
    section = text.split("## Touches", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([a-z-]+\.[a-z-]+)`", section))
    assert documented == {cls.type_name for cls in BUILT_IN_TYPES if cls.touch}

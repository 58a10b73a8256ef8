"""Review of three late changes: the fold's decoder cache and all-at-once stamp check
(3556264), an occurrence of a series changed in a file of its own (27c1c2c), and a
series whose every occurrence is excluded (8339f26).

The fold is compared with itself with its quick paths swapped out (as it was before
3556264) on rows of every kind the log can hold; the two must agree field by field.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coffeechat.codec import register_upcaster
from coffeechat.contact_state import ContactState, Row
from coffeechat.events import EVENT_TYPES, SCHEMAS, Payload, register_event_type
from coffeechat.fold import fold
from tests.conftest import CLI
from tests.test_calendar import configure
from tests.test_calendar_recurring import WEEKLY, alone, scheduled


@contextmanager
def _quick_paths_off() -> Iterator[None]:
    """The fold as it was before 3556264: every stamp checked alone, every payload decoded
    through the codec and checked for its times (the quick paths swapped out)."""
    import coffeechat.fold as module

    saved = module.all_stamps, module._decoders
    module.all_stamps = lambda texts: False  # type: ignore[assignment]
    module._decoders = dict  # type: ignore[assignment]
    try:
        yield
    finally:
        module.all_stamps, module._decoders = saved  # type: ignore[assignment]


def same(stream: str, rows: list[Any]) -> ContactState:
    """The fold's state, asserted equal field by field to the fold's without its quick
    paths (the behaviour before 3556264)."""
    new = fold(stream, rows)
    with _quick_paths_off():
        old = fold(stream, rows)
    for field in ContactState.__slots__:
        assert getattr(new, field) == getattr(old, field), field
    return new


# -- rows of every kind --------------------------------------------------------------------

IDS = [f"00000000-0000-7000-8000-{n:012d}" for n in range(8)]
GOOD_TIMES = ["2026-11-01T09:00:00Z", "2026-11-02T09:00:00Z", "2026-11-02T09:00:00Z",
              "2026-12-01T10:00:00Z", "1900-01-01T00:00:00Z", "2200-12-31T23:59:59Z"]
BAD_TIMES: list[Any] = [
    "2026-02-30T10:00:00Z", "2026-11-20T25:00:00Z", "2026-11-20T24:00:00Z",
    "2026-11-20T18:60:00Z", "1899-12-31T23:59:59Z", "2201-01-01T00:00:00Z",
    "9999-99-99T99:99:99Z", "2026-11-02T09:00:00", "2026-11-02T09:00:00+02:00",
    "2026-11-02T09:00:00.5Z", "2026-11-02", "", "２０２６-11-02T09:00:00Z",
    "2026-1١-02T09:00:00Z", "2026-11-02T09:00:00Z\n", "2026-11-02T09:00:00Z\n2026-11-02",
    "2026-11-02T09:00:00z", "\ud800026-11-02T09:00:00Z", 20261102, 2026.5, None,
    b"2026-11-02T09:00:00Z", True]
PAYLOADS = {
    "contact.added": ['{"name":"Jane","tags":["a"],"birthday":"05-17",'
                      '"dates":{"work":"2020-01-02"},"company":"Acme"}', '{"name":"Jane B"}'],
    "contact.updated": ['{"company":"Beta","dates":{"work":null}}', '{"tags":["x","y"]}',
                        '{"birthday":null}'],
    "contact.archived": ["{}"],
    "contact.merged": ['{"into":"bob"}'],
    "cadence.set": ['{"days":30}', '{"days":0}'],
    "request.sent": ['{"channel":"email"}', '{"channel":"email","nudge":true}'],
    "request.answered": ['{"answer":"accepted"}', '{"answer":"declined"}', '{"answer":"x"}'],
    "reply.received": ['{"message_id":"<m@x>"}'],
    "meeting.scheduled": ['{"at":"2026-12-01T10:00:00Z"}', '{"at":"2026-12-01T10:00:00"}',
                          '{"at":"0001-01-01T00:00:00Z"}', '{"at":"2026-12-01T10:00:00+02:00"}'],
    "meeting.held": ['{}', '{"minutes":0}'],
    "meeting.cancelled": ['{}'],
    "thanks.sent": ['{"channel":"email"}'],
    "checkin.done": ['{"channel":"email"}'],
    "referral.made": ['{"contact":"bob","name":"Bob"}'],
    "commitment.made": ['{"text":"x","due":"2026-12-01T10:00:00Z"}', '{"text":"y"}',
                        '{"text":"z","due":"9999-12-31T23:59:59Z"}'],
    "commitment.done": [f'{{"commitment":"{IDS[1]}"}}'],
    "note.added": ['{"text":"hello"}'],
    "meeting.prepared": [f'{{"meeting":"{IDS[2]}"}}'],
    "followup.done": [f'{{"kind":"thank-you","event":"{IDS[2]}"}}'],
    "followup.skipped": [f'{{"kind":"thank-you","event":"{IDS[2]}"}}'],
    "followup.snoozed": [f'{{"kind":"thank-you","event":"{IDS[2]}",'
                         '"until":"2026-12-05T00:00:00Z"}',
                         f'{{"kind":"x","event":"{IDS[3]}","until":"2026-12-05T00:00:00"}}'],
    "digest.sent": ['{"day":"2026-11-02","channel":"email"}'],
    "event.retracted": [f'{{"target":"{i}"}}' for i in IDS[:4]] + ['{"nope":1}'],
}
JUNK_DATA: list[Any] = ["garbage{", "[[[", "null", "42", '"text"', "{}", '{"name": 42}',
                        b'{"text":"bytes"}', b"\xff\xfe", 7, 1.5, None, "[" * 2000 + "]" * 2000]
TYPES: list[Any] = [*PAYLOADS, "plugin.thing", "", "CONTACT.ADDED", "contact.added ", 5, None,
                    b"note.added"]
SCHEMA_VALUES: list[Any] = [1, 1, 1, 0, 2, 99, -1, "1", 1.0, 1.5, None, b"1", 2**63]


@st.composite
def a_row(draw: st.DrawFn) -> Row:
    event_type = draw(st.sampled_from(TYPES))
    valid = PAYLOADS.get(event_type) if isinstance(event_type, str) else None
    data = draw(st.sampled_from(valid) if valid and draw(st.integers(0, 3))
                else st.sampled_from(JUNK_DATA + [d for ds in PAYLOADS.values() for d in ds]))
    if isinstance(data, str) and draw(st.integers(0, 9)) == 0:
        data = data.encode()  # (a blob)
    occurred_at = draw(st.sampled_from(GOOD_TIMES) if draw(st.integers(0, 4))
                       else st.sampled_from(BAD_TIMES))
    schema = draw(st.sampled_from(SCHEMA_VALUES))
    stream = draw(st.sampled_from(["contact:jane", "contact:jane", "contact:bob"]))
    source: Any = draw(st.sampled_from(["cli", None, 3]))  # (any column may be off)
    return Row(draw(st.integers(-2, 10**6)), draw(st.sampled_from(IDS)), event_type,
               occurred_at, schema, data, stream, source)


def _sorted(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (str(r.occurred_at), str(r.id)))


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(a_row(), max_size=14), st.sampled_from(["contact:jane", "contact:../x"]))
def test_the_fold_agrees_with_the_one_before_on_any_rows(rows: list[Row], stream: str
                                                         ) -> None:
    same(stream, _sorted(rows))


@pytest.mark.parametrize("bad", BAD_TIMES)
def test_one_bad_stamp_among_good_ones_is_skipped_alone(bad: Any) -> None:
    """The all-at-once check fails and each row is asked again: only the bad one goes."""
    rows = [Row(1, IDS[0], "contact.added", "2026-11-01T09:00:00Z", 1, '{"name":"Jane"}',
                "contact:jane"),
            Row(2, IDS[1], "meeting.held", bad, 1, "{}", "contact:jane"),
            Row(3, IDS[2], "request.sent", "2026-11-03T09:00:00Z", 1, '{"channel":"email"}',
                "contact:jane")]
    state = same("contact:jane", rows)
    assert state.name == "Jane" and state.asked and state.meetings == 0
    assert [r.id for r in state.events] == [IDS[0], IDS[2]]


def test_more_rows_than_one_piece_of_the_stamp_check() -> None:
    """Over 1024 rows (the check goes piece by piece): a bad stamp in the second piece."""
    rows = [Row(n, f"id-{n:05d}", "note.added", "2026-11-01T09:00:00Z", 1,
                '{"text":"n"}', "contact:jane") for n in range(1500)]
    rows[1300] = rows[1300]._replace(occurred_at="2026-02-30T10:00:00Z")
    state = same("contact:jane", rows)
    assert len(state.events) == 1499


# -- the registry changing under the cache ---------------------------------------------------

class Parcel(Payload, kw_only=True):
    """A plugin's event type with a time field (payload_problem looks at it)."""

    sent: datetime
    size: int = 0


class Wave(Payload, kw_only=True):
    """A plugin's event type without one."""

    words: list[str] = []  # noqa: RUF012


def _parcel_rows() -> list[Row]:
    return [
        Row(1, IDS[0], "contact.added", "2026-11-01T09:00:00Z", 1, '{"name":"Jane"}',
            "contact:jane"),
        Row(2, IDS[1], "test.r3parcel", "2026-11-02T09:00:00Z", 1,
            '{"sent":"2026-11-02T09:00:00Z","weight":4}', "contact:jane"),
        Row(3, IDS[2], "test.r3parcel", "2026-11-03T09:00:00Z", 2,
            '{"sent":"2026-11-03T09:00:00Z","size":5}', "contact:jane"),
        Row(4, IDS[3], "test.r3parcel", "2026-11-04T09:00:00Z", 2,
            '{"sent":"2026-11-03T09:00:00","size":5}', "contact:jane"),  # naive: skipped
        Row(5, IDS[4], "test.r3parcel", "2026-11-05T09:00:00Z", 3, '{"sent":1}',
            "contact:jane"),  # newer than this version
        Row(6, IDS[5], "test.r3wave", "2026-11-06T09:00:00Z", 1, '{"words":["hi"]}',
            "contact:jane"),
    ]


def _events(state: ContactState) -> list[str]:
    return [r.id for r in state.events]


def test_a_type_registered_later_with_a_newer_schema_and_taken_out_again() -> None:
    rows = _parcel_rows()
    before = same("contact:jane", rows)  # unknown types: kept as they are
    assert _events(before) == IDS[:6]
    try:
        register_event_type("test.r3parcel", Parcel, schema=2)
        register_upcaster("test.r3parcel", 1, lambda old: {"sent": old["sent"],
                                                           "size": old["weight"]})
        registered = same("contact:jane", rows)
        assert _events(registered) == [IDS[0], IDS[1], IDS[2], IDS[5]]
        register_event_type("test.r3wave", Wave)
        assert _events(same("contact:jane", rows)) == [IDS[0], IDS[1], IDS[2], IDS[5]]
        EVENT_TYPES.pop("test.r3parcel")  # uninstalled (its schema stays behind)
        assert _events(same("contact:jane", rows)) == IDS[:6]
        SCHEMAS.pop("test.r3parcel")
        assert _events(same("contact:jane", rows)) == IDS[:6]
        register_event_type("test.r3parcel", Parcel, schema=2)  # installed again
        assert _events(same("contact:jane", rows)) == [IDS[0], IDS[1], IDS[2], IDS[5]]
    finally:
        for name in ("test.r3parcel", "test.r3wave"):
            EVENT_TYPES.pop(name, None)
            SCHEMAS.pop(name, None)
        Parcel.schema = 1
    assert _events(same("contact:jane", rows)) == IDS[:6]


def test_a_schema_changed_in_the_registry_directly_is_seen() -> None:
    rows = [Row(1, IDS[1], "test.r3parcel", "2026-11-02T09:00:00Z", 1,
                '{"when":"2026-11-02T09:00:00Z"}', "contact:jane")]
    try:
        register_event_type("test.r3parcel", Parcel, schema=1)
        register_upcaster("test.r3parcel", 1, lambda old: {"sent": old["when"]})
        assert _events(same("contact:jane", rows)) == []  # (the cache is made)
        SCHEMAS["test.r3parcel"] = 2  # (as a hand, or monkeypatch.setitem, could)
        assert _events(same("contact:jane", rows)) == [IDS[1]]  # upcast: readable
    finally:
        EVENT_TYPES.pop("test.r3parcel", None)
        SCHEMAS.pop("test.r3parcel", None)
        Parcel.schema = 1


def test_folds_in_threads_agree() -> None:
    """Folds running in several threads at once (as a watcher's would) give one state."""
    rows = _sorted([Row(n, f"id-{n:05d}", t, "2026-11-01T09:00:00Z", 1, d, "contact:jane")
                    for n, (t, ds) in enumerate(PAYLOADS.items()) for d in ds])
    expected = same("contact:jane", rows)
    problems: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(50):
                state = fold("contact:jane", rows)
                assert _events(state) == _events(expected)
                assert state.stage == expected.stage
        except BaseException as error:  # (reported by the main thread)
            problems.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == []


# -- one occurrence of a series, in a file of its own --------------------------------------

MOVED = (("DTSTART;TZID=America/New_York:20260901T100000",
          "DTSTART;TZID=America/New_York:20261202T110000"),
         ("DTEND;TZID=America/New_York:20260901T103000",
          "DTEND;TZID=America/New_York:20261202T113000"))


def _weekly(run: CLI) -> None:
    configure(run)
    run.now = "2026-11-30T12:00:00Z"
    run.run("import", "ics", str(WEEKLY))


def _refused(run: CLI, path: Path, *words: str) -> None:
    before = run.count()
    result = run.run("import", "ics", str(path), expect=1)
    assert "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1, result.err
    for word in words:
        assert word in result.err, result.err
    assert run.count() == before


@pytest.mark.parametrize("recurrence_id, words", [
    ("RECURRENCE-ID:garbage", ("RECURRENCE-ID",)),
    ("RECURRENCE-ID:18000101T100000Z", ("RECURRENCE-ID", "outside")),
    ("RECURRENCE-ID:99991231T235959Z", ("RECURRENCE-ID", "outside")),
    ("RECURRENCE-ID;VALUE=DATE:00010101", ("RECURRENCE-ID",)),
    ("RECURRENCE-ID;TZID=Nowhere/Land:20261301T100000", ()),
])
def test_an_override_alone_with_a_bad_recurrence_id_is_one_line(
        run: CLI, tmp_path: Path, recurrence_id: str, words: tuple[str, ...]) -> None:
    _weekly(run)
    path = alone(tmp_path, "bad", ("RECURRENCE-ID;TZID=America/New_York:20261201T100000",
                                   recurrence_id), *MOVED)
    _refused(run, path, "nothing was imported", *words)
    assert scheduled(run, tmp_path) == datetime(2026, 12, 1, 15, tzinfo=UTC)


@pytest.mark.parametrize("start", ["18500101T100000", "22500101T100000"])
def test_an_override_alone_moved_outside_the_dates_kept_is_one_line(
        run: CLI, tmp_path: Path, start: str) -> None:
    _weekly(run)
    path = alone(tmp_path, "far", ("DTSTART;TZID=America/New_York:20260901T100000",
                                   f"DTSTART;TZID=America/New_York:{start}"),
                 ("DTEND;TZID=America/New_York:20260901T103000\n", ""))
    _refused(run, path, "DTSTART", "outside")


def test_a_cancelled_occurrence_of_a_series_never_imported_records_nothing(
        run: CLI, tmp_path: Path) -> None:
    configure(run)
    run.now = "2026-11-30T12:00:00Z"
    off = alone(tmp_path, "off", ("METHOD:REQUEST", "METHOD:CANCEL"),
                ("STATUS:CONFIRMED", "STATUS:CANCELLED"))
    assert run.json("import", "ics", str(off)) == {
        "scheduled": [], "cancelled": [], "added": [], "unchanged": 1}
    assert run.count() == 0


def test_an_override_before_its_series_then_the_series_then_the_override(
        run: CLI, tmp_path: Path) -> None:
    configure(run)
    run.now = "2026-11-30T12:00:00Z"
    moved = alone(tmp_path, "moved", *MOVED)
    assert run.json("import", "ics", str(moved))["unchanged"] == 1
    assert run.count() == 0  # (nobody added for an occurrence of nothing known)
    run.run("import", "ics", str(WEEKLY))
    assert scheduled(run, tmp_path) == datetime(2026, 12, 1, 15, tzinfo=UTC)
    assert run.json("import", "ics", str(moved))["scheduled"] == ["samira-haddad"]
    assert scheduled(run, tmp_path) == datetime(2026, 12, 2, 16, tzinfo=UTC)
    before = run.count()
    assert run.json("import", "ics", str(WEEKLY))["unchanged"] == 1  # the series again
    assert scheduled(run, tmp_path) == datetime(2026, 12, 2, 16, tzinfo=UTC)
    assert run.count() == before


def test_undo_of_a_moved_occurrence_and_the_move_again(run: CLI, tmp_path: Path) -> None:
    _weekly(run)
    moved = alone(tmp_path, "moved", *MOVED)
    run.run("import", "ics", str(moved))
    run.run("undo")
    assert scheduled(run, tmp_path) == datetime(2026, 12, 1, 15, tzinfo=UTC)
    assert run.json("import", "ics", str(moved))["scheduled"] == ["samira-haddad"]
    assert scheduled(run, tmp_path) == datetime(2026, 12, 2, 16, tzinfo=UTC)


def test_undo_of_a_cancelled_occurrence_brings_the_meeting_back(run: CLI, tmp_path: Path
                                                                ) -> None:
    _weekly(run)
    off = alone(tmp_path, "off", ("STATUS:CONFIRMED", "STATUS:CANCELLED"))
    assert run.json("import", "ics", str(off))["cancelled"] == ["samira-haddad"]
    run.run("undo")
    assert run.json("show", "samira")["stage"] == "scheduled"
    assert scheduled(run, tmp_path) == datetime(2026, 12, 1, 15, tzinfo=UTC)


def _two_overrides(tmp_path: Path, first: str, second: str) -> Path:
    """One file holding two VEVENTs of one occurrence alone (the text of each)."""
    a = alone(tmp_path, "a", *MOVED).read_text()
    head, _, rest = a.partition("BEGIN:VEVENT")
    event_a = "BEGIN:VEVENT" + rest.rpartition("END:VCALENDAR")[0]
    path = tmp_path / "two.ics"
    path.write_text(head + event_a.replace("SEQUENCE:1", first)
                    + event_a.replace("SEQUENCE:1", second).replace(
                        "20261202T110000", "20261203T090000").replace(
                        "20261202T113000", "20261203T093000") + "END:VCALENDAR\n")
    return path


def test_two_overrides_alone_in_one_file_end_at_the_later_sequence(
        run: CLI, tmp_path: Path) -> None:
    _weekly(run)
    path = _two_overrides(tmp_path, "SEQUENCE:1", "SEQUENCE:2")
    result = run.run("import", "ics", str(path), "--json")
    assert "Traceback" not in result.err
    assert set(result.json()["scheduled"]) == {"samira-haddad"}
    assert scheduled(run, tmp_path) == datetime(2026, 12, 3, 14, tzinfo=UTC)  # SEQUENCE 2's
    # the other way round in the file: the later SEQUENCE still wins
    run.run("undo")
    run.run("import", "ics", str(_two_overrides(tmp_path, "SEQUENCE:2", "SEQUENCE:1")))
    assert scheduled(run, tmp_path) == datetime(2026, 12, 2, 16, tzinfo=UTC)


def test_an_occurrence_moved_twice_follows_the_second_move(run: CLI, tmp_path: Path) -> None:
    _weekly(run)
    run.run("import", "ics", str(alone(tmp_path, "first", *MOVED)))
    again = alone(tmp_path, "again", ("SEQUENCE:1", "SEQUENCE:2"),
                  ("DTSTART;TZID=America/New_York:20260901T100000",
                   "DTSTART;TZID=America/New_York:20261203T090000"),
                  ("DTEND;TZID=America/New_York:20260901T103000",
                   "DTEND;TZID=America/New_York:20261203T093000"))
    run.run("import", "ics", str(again))
    assert scheduled(run, tmp_path) == datetime(2026, 12, 3, 14, tzinfo=UTC)


def test_an_occurrence_moved_then_called_off_is_no_meeting(run: CLI, tmp_path: Path) -> None:
    _weekly(run)
    run.run("import", "ics", str(alone(tmp_path, "first", *MOVED)))
    off = alone(tmp_path, "off", ("SEQUENCE:1", "SEQUENCE:2"),
                ("METHOD:REQUEST", "METHOD:CANCEL"), ("STATUS:CONFIRMED", "STATUS:CANCELLED"))
    assert run.json("import", "ics", str(off))["cancelled"] == ["samira-haddad"]
    assert run.json("show", "samira")["stage"] != "scheduled"


# -- a series whose every occurrence is excluded -------------------------------------------

def _emptied(tmp_path: Path, uid: str = "7fk2") -> Path:
    path = tmp_path / f"emptied-{uid}.ics"
    path.write_text(WEEKLY.read_text().replace(
        "RRULE:FREQ=WEEKLY;BYDAY=TU\n", "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=2\n").replace(
        "EXDATE;TZID=America/New_York:20261208T100000\n",
        "EXDATE;TZID=America/New_York:20260901T100000,20260908T100000\n").replace(
        "UID:7fk2", f"UID:{uid}"))
    return path


def test_an_emptied_series_adds_nobody_and_cancels_what_it_scheduled(
        run: CLI, tmp_path: Path) -> None:
    configure(run)
    run.now = "2026-11-30T12:00:00Z"
    assert run.json("import", "ics", str(_emptied(tmp_path, "9zz9"))) == {
        "scheduled": [], "cancelled": [], "added": [], "unchanged": 1}
    assert run.count() == 0
    run.run("import", "ics", str(WEEKLY))
    assert run.json("import", "ics", str(_emptied(tmp_path)))["cancelled"] == ["samira-haddad"]
    assert run.json("show", "samira")["stage"] != "scheduled"
    before = run.count()
    assert run.json("import", "ics", str(_emptied(tmp_path)))["unchanged"] == 1  # again
    assert run.count() == before
    run.run("undo")
    assert run.json("show", "samira")["stage"] == "scheduled"


def test_an_emptied_series_starting_outside_the_dates_kept_is_one_line(
        run: CLI, tmp_path: Path) -> None:
    configure(run)
    run.now = "2026-11-30T12:00:00Z"
    path = tmp_path / "old.ics"
    path.write_text(_emptied(tmp_path).read_text().replace("20260901T", "18500901T").replace(
        "20260908T", "18500908T"))
    result = run.run("import", "ics", str(path), expect=None)
    assert "Traceback" not in result.err
    assert result.code in (0, 1)
    if result.code == 1:
        assert len(result.err.strip().splitlines()) == 1, result.err
    assert run.count() == 0

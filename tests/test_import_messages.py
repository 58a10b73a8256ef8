"""Files that Excel, Outlook and calendar programs really write: read, or refused in words.

UTF-16 and semicolon-separated CSVs are read; an invitation without a UID,
and one whose start is a day and its end a time, say what is wrong in a line
(or are read); an unknown time zone is named in a warning.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CLI

PREAMBLE = ('Notes:\n"When exporting your connection data, you may notice that some of the '
            'email addresses are missing."\n\n')
CONNECTIONS = [["First Name", "Last Name", "URL", "Email Address", "Company", "Position",
                "Connected On"],
               ["Zoë", "Ångström", "https://www.linkedin.com/in/zoe", "zoe@acme.example",
                "Acme; Sons", "CTO", "12 Mar 2024"],
               ["Omar", "Haddad", "https://www.linkedin.com/in/omar", "", "Globex", "Lead",
                "12 Mar 2024"]]


def connections(separator: str) -> str:
    quoted = [[f'"{cell}"' if separator in cell else cell for cell in row]
              for row in CONNECTIONS]
    return PREAMBLE + "".join(separator.join(row) + "\r\n" for row in quoted)


def imported_people(run: CLI) -> dict[str, str]:
    return {p["name"]: p["company"] for p in run.json("contacts")}


def test_a_utf16_linkedin_csv_is_read(run: CLI, tmp_path: Path) -> None:
    for encoding in ("utf-16", "utf-16-be"):  # (the BOM Excel writes, and the big-endian one)
        path = tmp_path / f"{encoding}.csv"
        raw = connections(",").encode(encoding)
        path.write_bytes(raw if encoding == "utf-16" else b"\xfe\xff" + raw)
        result = run.json("import", "linkedin", str(path), "--dry-run")
        assert result["added"] == ["zoë-ångström", "omar-haddad"], result
    run.run("import", "linkedin", str(tmp_path / "utf-16.csv"))
    assert imported_people(run) == {"Zoë Ångström": "Acme; Sons", "Omar Haddad": "Globex"}


def test_a_broken_utf16_file_says_so(run: CLI, tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(connections(",").encode("utf-16") + b"\x00\xd8")  # a lone surrogate
    result = run.run("import", "linkedin", str(path), expect=1)
    assert "UTF-16" in result.err and "save the file as UTF-8" in result.err
    assert len(result.err.strip().splitlines()) == 1 and run.count() == 0


def test_a_semicolon_separated_csv_is_read(run: CLI, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text(connections(";"), encoding="utf-8-sig")
    run.run("import", "linkedin", str(path))
    assert imported_people(run) == {"Zoë Ångström": "Acme; Sons", "Omar Haddad": "Globex"}
    google = tmp_path / "google.csv"
    google.write_text("Name;Given Name;E-mail 1 - Value\nLena Fischer;Lena;lena@example.de\n")
    run.run("import", "google", str(google))
    assert "Lena Fischer" in imported_people(run)


def test_a_csv_without_the_header_still_says_what_it_lacks(run: CLI, tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("Vorname;Nachname\nLena;Fischer\n")
    result = run.run("import", "linkedin", str(path), expect=1)
    assert "no header row with 'First Name' and 'Last Name'" in result.err


def invitation(*lines: str) -> str:
    return "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT", *lines,
                        "ORGANIZER;CN=Lena Fischer:mailto:lena@example.de", "END:VEVENT",
                        "END:VCALENDAR", ""])


def test_an_invitation_without_a_uid_is_one_line_naming_it(run: CLI, tmp_path: Path) -> None:
    path = tmp_path / "nouid.ics"
    path.write_text(invitation("DTSTART:20261110T100000Z"))
    result = run.run("import", "ics", str(path), expect=1)
    [line] = result.err.strip().splitlines()
    assert line == (f"coffeechat: error: {path}: line 3: event 1: no UID: not an invitation "
                    "coffeechat can track; nothing was imported")
    assert run.count() == 0


@pytest.mark.parametrize(("start", "end", "at", "minutes"), [
    # an all-day start with a timed end: all day
    ("DTSTART;VALUE=DATE:20261110", "DTEND:20261110T120000Z", "2026-11-10T10:00:00", 24 * 60),
    # a floating end beside a zoned start: read in that zone
    ("DTSTART;TZID=Europe/Berlin:20261110T100000", "DTEND:20261110T104500",
     "2026-11-10T09:00:00", 45),
])
def test_a_start_and_end_of_different_kinds_are_read_as_one(
        run: CLI, tmp_path: Path, start: str, end: str, at: str, minutes: int) -> None:
    path = tmp_path / "mixed.ics"
    path.write_text(invitation("UID:mixed-1", start, end))
    run.run("import", "ics", str(path))
    [meeting] = [e for e in run.json("log") if e["type"] == "meeting.scheduled"]
    assert meeting["data"]["at"].startswith(at)
    assert meeting["data"]["minutes"] == minutes


def test_an_unknown_time_zone_is_named_in_a_warning(run: CLI, tmp_path: Path) -> None:
    path = tmp_path / "mars.ics"
    path.write_text(invitation("UID:mars-1", "DTSTART;TZID=Mars/Olympus:20261110T100000",
                               "DURATION:PT30M"))
    result = run.run("import", "ics", str(path))
    assert "1 scheduled" in result.out
    [warning] = result.err.strip().splitlines()
    assert "unknown time zone 'Mars/Olympus'" in warning and "line 3" in warning
    known = tmp_path / "berlin.ics"
    known.write_text(invitation("UID:berlin-1", "DTSTART;TZID=Europe/Berlin:20261111T100000"))
    assert run.run("import", "ics", str(known)).err == ""

"""Importing people from LinkedIn, vCard and Google exports; undoing an import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import CLI

DATA = Path(__file__).parent / "data"


def imported(cli: CLI, kind: str, name: str, *extra: str, expect: int = 0) -> Any:
    result = cli.run("import", kind, str(DATA / name), "--json", *extra, expect=expect)
    return result.json() if expect == 0 else result


def by_name(cli: CLI) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in cli.json("contacts")}


def test_linkedin_export_with_all_its_quirks(run: CLI) -> None:
    report = imported(run, "linkedin", "linkedin-connections.csv")
    assert len(report["added"]) == 5 and report["updated"] == [] and report["skipped"] == []
    people = by_name(run)
    assert set(people) == {"Jane Doe", "Raj Patel", "Zoë Ångström", "Sam O'Brien", "Li Wei"}
    jane = run.json("show", "jane")
    assert jane["role"] == "Staff Engineer, Platform"  # a quoted comma
    assert jane["linkedin"] == "https://www.linkedin.com/in/jane-doe-4a1b2c"
    assert jane["email"] is None and jane["how_met"] == "LinkedIn, connected on 12 Mar 2024"
    assert jane["timeline"][0]["occurred_at"] == "2024-03-12T00:00:00Z"  # connected on
    assert people["Sam O'Brien"]["role"] == 'Designer "II"'
    assert people["Zoë Ångström"]["company"] == "Initech, Inc."
    assert run.json("show", "raj")["email"] == "raj.patel@globex.example"
    # One batch: the whole import comes back with one undo.
    events = [e for e in run.json("log") if e["source"] == "import:linkedin"]
    assert {e["batch"] for e in events} == {report["batch"]}


def test_reimporting_adds_nothing_and_a_newer_export_only_what_changed(run: CLI) -> None:
    imported(run, "linkedin", "linkedin-connections.csv")
    count = run.count()
    again = imported(run, "linkedin", "linkedin-connections.csv")
    assert (again["added"], again["updated"], again["unchanged"], again["batch"]) == \
        ([], [], 5, None)
    assert run.count() == count
    newer = imported(run, "linkedin", "linkedin-connections-v2.csv")
    assert newer["added"] == ["dana-kim"]
    assert newer["updated"] == ["jane-doe"]
    assert newer["unchanged"] == 3
    assert newer["missing"] == ["Li Wei"]  # reported, never removed
    jane = run.json("show", "jane")
    assert (jane["company"], jane["role"]) == ("Northwind", "Principal Engineer")
    changed = [e for e in jane["timeline"] if e["type"] == "contact.updated"]
    assert [e["data"] for e in changed] == [{"company": "Northwind",
                                             "role": "Principal Engineer"}]
    assert "Li Wei" in by_name(run)


def test_the_older_layout_without_urls(run: CLI) -> None:
    report = imported(run, "linkedin", "linkedin-old.csv")
    assert sorted(report["added"]) == ["ana-silva", "tom-berg"]
    assert run.json("show", "ana")["email"] == "ana@contoso.example"


def test_bad_rows_import_nothing_unless_skipped(run: CLI) -> None:
    result = imported(run, "linkedin", "linkedin-bad-rows.csv", expect=1)
    [line] = result.err.splitlines()
    assert str(DATA / "linkedin-bad-rows.csv") in line
    assert "row 3: expected 7 fields, found 5" in line
    assert "1 more bad rows" in line and "--skip-bad" in line
    assert run.count() == 0
    report = imported(run, "linkedin", "linkedin-bad-rows.csv", "--skip-bad")
    assert sorted(report["added"]) == ["also-good", "good-person"]
    assert [s["row"] for s in report["skipped"]] == [3, 4]
    assert "sometime in spring" in report["skipped"][1]["message"]


def test_not_a_linkedin_file(run: CLI) -> None:
    result = imported(run, "linkedin", "google-contacts.csv", expect=1)
    assert "no header row with 'First Name' and 'Last Name'" in result.err
    assert run.run("import", "linkedin", "/nonexistent.csv", expect=1).err.startswith(
        "coffeechat: error: FILE: cannot read /nonexistent.csv")


def test_vcards_from_apple_and_version_4(run: CLI) -> None:
    report = imported(run, "vcard", "contacts-apple.vcf")
    assert sorted(report["added"]) == ["jane-doe", "sam-okafor"]
    jane = run.json("show", "jane")
    assert jane["email"] == "jane@acme.example"  # the preferred of two
    assert jane["company"] == "Acme" and jane["role"] == "Staff Engineer"
    assert jane["linkedin"] == "https://www.linkedin.com/in/jane-doe-4a1b2c"  # item1.URL
    assert jane["phone"] == "+1 (555) 010-0100"
    mei = imported(run, "vcard", "contacts-v4.vcf")
    assert mei["added"] == ["mei-chen"]
    assert run.json("show", "mei")["email"] == "mei@northwind.example"  # PREF=1



def test_vcards_version_2_1_from_android_with_quoted_printable(run: CLI) -> None:
    # Android's export: non-ASCII values quoted-printable, long ones broken with "=" at
    # the end of a line (a soft break, not vCard's folding), CRLF line ends.
    report = imported(run, "vcard", "contacts-android-v21.vcf")
    assert sorted(report["added"]) == ["jürgen-müller", "sam-okafor"]
    jurgen = run.json("show", "jürgen")
    assert (jurgen["name"], jurgen["company"]) == ("Jürgen Müller", "Große Firma GmbH")
    assert jurgen["role"] == "Leiter Produktdesign und Nutzerforschung"  # (a soft break)
    assert (jurgen["email"], jurgen["phone"]) == ("juergen@example.com", "+49 170 1234567")
    assert run.json("show", "sam")["email"] == "sam@tailspin.example"

def test_the_same_person_from_two_sources_is_one_contact(run: CLI) -> None:
    imported(run, "linkedin", "linkedin-connections.csv")
    report = imported(run, "vcard", "contacts-apple.vcf")  # Jane again, matched by URL
    assert report["added"] == ["sam-okafor"]
    assert report["updated"] == ["jane-doe"]  # her email and phone are new
    jane = run.json("show", "jane")
    assert jane["email"] == "jane@acme.example" and jane["company"] == "Acme"
    google = imported(run, "google", "google-contacts.csv")  # Raj again, by email
    assert "raj-patel" not in google["added"]
    assert len([c for c in run.json("contacts") if c["name"] == "Raj Patel"]) == 1


def test_google_contacts(run: CLI) -> None:
    report = imported(run, "google", "google-contacts.csv")
    assert sorted(report["added"]) == ["chris-lee", "priya-raman", "raj-patel"]
    raj = run.json("show", "raj")
    assert raj["email"] == "raj.patel@globex.example"  # first of the ' ::: ' values
    assert raj["linkedin"] == "https://www.linkedin.com/in/rajpatel"
    assert raj["tags"] == ["mentors"]
    assert run.json("show", "priya")["email"] == "priya@northwind.example"  # * primary
    assert run.json("show", "chris")["company"] == "Contoso, Ltd."


def test_two_people_with_one_name_are_not_merged(run: CLI) -> None:
    run.ids("add", "Jane Doe", "--company", "Acme")
    run.ids("add", "Jane Doe", "--company", "Acme")
    report = imported(run, "linkedin", "linkedin-old.csv")  # unrelated people: fine
    assert len(report["added"]) == 2
    path = run.home / "jane.csv"
    path.write_text("First Name,Last Name,Company,Position,Connected On\n"
                    "Jane,Doe,Acme,Engineer,01 Jan 2024\n")
    result = run.run("import", "linkedin", str(path), "--json")
    assert result.json()["conflicts"][0]["row"] == 2
    assert "matches several contacts" in result.err
    assert len([c for c in run.json("contacts") if c["name"] == "Jane Doe"]) == 2


def test_undo_a_whole_import(run: CLI) -> None:
    run.ids("add", "Already Here")
    before = (run.json("contacts"), run.json("due", "--all"))
    report = imported(run, "linkedin", "linkedin-connections.csv")
    assert len(run.json("contacts")) == 6
    undone = run.json("undo", "--batch", report["batch"][:18])["recorded"]
    assert len(undone) == 5 and {r["type"] for r in undone} == {"event.retracted"}
    assert (run.json("contacts"), run.json("due", "--all")) == before
    again = run.run("undo", "--batch", report["batch"], expect=1)
    assert "already undone" in again.err


def test_merge_two_contacts_into_one_and_split_them_again(run: CLI) -> None:
    run.ids("add", "Jane Doe", "--company", "Acme")
    run.ids("add", "J. Doe", "--email", "jane@acme.example", "--tag", "mentor")
    run.ids("ask", "j. doe")
    run.now = "2026-11-05T10:00:00Z"
    run.ids("met", "j. doe", "--referral", "Bob Smith", "--commitment", "send the deck")
    run.ids("note", "jane doe", "Prefers mornings")
    before = (run.json("contacts"), run.json("due", "--all"), run.json("referrals"))
    [merged] = run.json("merge", "jane doe", "j. doe")["recorded"]
    assert (merged["type"], merged["contact"]) == ("contact.merged", "j-doe")
    contacts = run.json("contacts")
    assert [c["id"] for c in contacts] == ["bob-smith", "jane-doe"]
    jane = run.json("show", "jane-doe")
    assert (jane["stage"], jane["company"], jane["email"]) == ("met", "Acme",
                                                               "jane@acme.example")
    assert jane["tags"] == ["mentor"]
    kinds = {(d["contact"], d["kind"]) for d in run.json("due", "--all")}
    assert ("jane-doe", "commitment") in kinds and ("jane-doe", "thank-you") in kinds
    assert not any(contact == "j-doe" for contact, _ in kinds)
    assert run.json("referrals")[0]["id"] == "jane-doe"  # her introduction of Bob
    assert run.json("show", "bob")["referred_by"] == "jane-doe"
    assert run.json("show", "j-doe")["id"] == "jane-doe"  # the old id leads to her
    run.ids("thank", "j-doe")  # and records on the merged contact
    assert ("jane-doe", "thank-you") not in {(d["contact"], d["kind"])
                                             for d in run.json("due", "--all")}
    run.ids("undo")  # the thank-you
    run.ids("undo")  # the merge
    assert (run.json("contacts"), run.json("due", "--all"), run.json("referrals")) == before
    assert "same contact" in run.run("merge", "jane doe", "jane-doe", expect=1).err


def test_a_card_matches_the_contact_as_names_are_matched_everywhere(run: CLI,
                                                                     tmp_path: Path) -> None:
    # The importers compare name and company as `show` resolves a name: accents, case,
    # spaces and zero-width characters aside. A card copied from a page with a zero-width
    # space, or typed without accents, is the contact already there, not a second one.
    run.run("add", "Ann Zero", "--company", "Acme")
    run.run("add", "José Álvarez", "--company", "Northwind")
    run.run("add", "Mina Ra\u200cfiei", "--company", "Acme")
    cards = tmp_path / "cards.vcf"
    cards.write_text("".join(
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{name}\r\nORG:{org}\r\n"
        f"EMAIL:{mail}@example.com\r\nEND:VCARD\r\n"
        for name, org, mail in [("Ann\u200b Zero", "acme", "ann"), ("Jose  Alvarez", "Northwind",
                                "jose"), ("Mina Rafiei", "Acme", "mina")]), encoding="utf-8")
    report = run.run("import", "vcard", str(cards), "--json").json()
    assert report["added"] == []
    assert sorted(report["updated"]) == sorted(c["id"] for c in run.json("contacts"))
    assert len(run.json("contacts")) == 3
    assert run.json("show", "mina rafiei")["email"] == "mina@example.com"

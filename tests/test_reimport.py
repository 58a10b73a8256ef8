"""Importing again: the user's edits stay, two sources do not fight, merged people stay
merged, one person is one contact whichever sources and rows name them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import InProcessCLI

HEADER = "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
JANE = "Jane,Doe,https://www.linkedin.com/in/janedoe,jane@example.com,Acme,Engineer,12 Mar 2024\n"
RAJ = "Raj,Patel,https://www.linkedin.com/in/rajpatel,,Globex,Manager,01 Jan 2023\n"


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def imported(run: InProcessCLI, kind: str, path: str, *extra: str) -> Any:
    return run.json("import", kind, path, *extra)


def details(run: InProcessCLI, contact: str) -> tuple[Any, ...]:
    shown = run.json("show", contact)
    return shown["company"], shown["role"], shown["email"], shown["phone"]


def test_the_first_import_adds_everyone_and_again_records_nothing(run: InProcessCLI,
                                                                   tmp_path: Path) -> None:
    path = write(tmp_path, "li.csv", HEADER + JANE + RAJ)
    first = imported(run, "linkedin", path)
    assert (first["added"], first["updated"], first["unchanged"]) == (
        ["jane-doe", "raj-patel"], [], 0)
    count = run.count()
    again = imported(run, "linkedin", path)
    assert (again["added"], again["updated"], again["unchanged"], again["kept"]) == (
        [], [], 2, [])
    assert run.count() == count


def test_reimporting_an_unchanged_file_keeps_the_users_edit(run: InProcessCLI,
                                                            tmp_path: Path) -> None:
    path = write(tmp_path, "li.csv", HEADER + JANE + RAJ)
    imported(run, "linkedin", path)
    run.run("edit", "jane-doe", "--company", "NewCo", "--role", "CTO")
    count = run.count()
    again = run.run("import", "linkedin", path)
    assert again.out.splitlines()[0].endswith("0 added, 0 updated, 2 unchanged")
    assert "kept your values where the file differs: Jane Doe (company, role)" in again.out
    assert run.count() == count
    assert details(run, "jane-doe")[:2] == ("NewCo", "CTO")
    report = imported(run, "linkedin", path)
    assert report["kept"] == [{"contact": "jane-doe", "name": "Jane Doe",
                               "fields": ["company", "role"]}]


def test_a_value_the_source_changed_still_updates(run: InProcessCLI, tmp_path: Path) -> None:
    imported(run, "linkedin", write(tmp_path, "v1.csv", HEADER + JANE + RAJ))
    run.run("edit", "jane-doe", "--company", "NewCo")
    newer = write(tmp_path, "v2.csv", HEADER + JANE.replace("Acme,Engineer", "Beta,Engineer")
                  + RAJ.replace("Manager", "Director"))
    report = imported(run, "linkedin", newer)
    assert report["updated"] == ["jane-doe", "raj-patel"]
    assert details(run, "jane-doe")[:2] == ("Beta", "Engineer")  # the source moved on
    assert details(run, "raj-patel")[:2] == ("Globex", "Director")
    assert imported(run, "linkedin", newer)["updated"] == []


def test_two_sources_that_disagree_do_not_overwrite_each_other(run: InProcessCLI,
                                                               tmp_path: Path) -> None:
    linkedin = write(tmp_path, "li.csv", HEADER + JANE)
    google = write(tmp_path, "g.csv",
                   "Name,Organization 1 - Name,Organization 1 - Title,E-mail 1 - Value,"
                   "Phone 1 - Value\n"
                   "Jane Doe,Acme Labs,Staff Engineer,jane@example.com,+1 555 0100\n")
    imported(run, "linkedin", linkedin)
    first = imported(run, "google", google)
    # What Google adds fills in; where it disagrees with what LinkedIn gave, that stays.
    assert first["updated"] == ["jane-doe"]
    assert first["kept"] == [{"contact": "jane-doe", "name": "Jane Doe",
                              "fields": ["company", "role"]}]
    assert details(run, "jane-doe") == ("Acme", "Engineer", "jane@example.com", "+1 555 0100")
    count = run.count()
    for _ in range(2):
        for kind, path in (("linkedin", linkedin), ("google", google)):
            report = imported(run, kind, path)
            assert (report["added"], report["updated"], report["unchanged"]) == ([], [], 1)
    assert run.count() == count
    assert details(run, "jane-doe") == ("Acme", "Engineer", "jane@example.com", "+1 555 0100")


def test_merged_people_stay_merged_on_a_reimport(run: InProcessCLI, tmp_path: Path) -> None:
    imported(run, "linkedin", write(tmp_path, "li.csv", HEADER + JANE))
    google = write(tmp_path, "g.csv", "First Name,Last Name,Organization Name,"
                   "E-mail 1 - Label,E-mail 1 - Value\nJane,D,,* Home,jane.d@gmail.com\n")
    assert imported(run, "google", google)["added"] == ["jane-d"]
    run.run("merge", "jane-doe", "jane-d")
    again = imported(run, "google", google)
    assert (again["added"], again["updated"], again["unchanged"]) == ([], [], 1)
    assert [c["name"] for c in run.json("contacts")] == ["Jane Doe"]
    assert details(run, "jane-doe")[2] == "jane@example.com"  # hers, not the alias's


def test_an_email_the_contact_had_before_still_finds_them(run: InProcessCLI,
                                                          tmp_path: Path) -> None:
    cards = write(tmp_path, "c.vcf", "BEGIN:VCARD\nVERSION:3.0\nFN:Mina Rafiei\n"
                  "EMAIL:mina@old.example\nEND:VCARD\n")
    imported(run, "vcard", cards)
    run.run("edit", "mina-rafiei", "--email", "mina@new.example", "--name", "Mina R.")
    again = imported(run, "vcard", cards)
    assert (again["added"], again["updated"], again["unchanged"]) == ([], [], 1)
    assert run.json("show", "mina-rafiei")["email"] == "mina@new.example"
    run.run("undo")  # the edit is taken back: its email names nobody any more
    other = write(tmp_path, "o.vcf", "BEGIN:VCARD\nVERSION:3.0\nFN:Nora Other\n"
                  "EMAIL:mina@new.example\nEND:VCARD\n")
    assert imported(run, "vcard", other)["added"] == ["nora-other"]


def test_one_person_in_an_address_book_and_on_linkedin_is_one_contact(
        run: InProcessCLI, tmp_path: Path) -> None:
    imported(run, "vcard", write(
        tmp_path, "two.vcf", "BEGIN:VCARD\nVERSION:3.0\nFN:Priya Raman\nORG:Acme Inc.\n"
        "EMAIL;TYPE=INTERNET,HOME,pref:priya@home.net\n"
        "EMAIL;TYPE=INTERNET,WORK:priya@acme.com\nEND:VCARD\n"))
    report = imported(run, "linkedin", write(
        tmp_path, "pr.csv", HEADER + "Priya,Raman,https://www.linkedin.com/in/priyar,"
        "priya@acme.com,Acme,Engineer,12 Mar 2024\n"))
    assert (report["added"], report["updated"]) == ([], ["priya-raman"])
    # "Acme" is "Acme Inc.": nothing to keep there; the home address stays the preferred.
    assert report["kept"] == [{"contact": "priya-raman", "name": "Priya Raman",
                               "fields": ["email"]}]
    assert [c["id"] for c in run.json("contacts")] == ["priya-raman"]
    priya = run.json("show", "priya-raman")
    assert (priya["company"], priya["role"], priya["email"], priya["linkedin"]) == (
        "Acme Inc.", "Engineer", "priya@home.net", "https://www.linkedin.com/in/priyar")


def test_two_rows_for_one_person_are_one_person(run: InProcessCLI, tmp_path: Path) -> None:
    path = write(tmp_path, "d2.csv", HEADER + "Al,Bo,,,X,R1,12 Mar 2024\n"
                 "Al,Bo,,,X,R2,12 Mar 2024\n")
    first = run.run("import", "linkedin", path)
    assert first.out.splitlines()[0].endswith("1 added, 0 updated, 0 unchanged")
    assert "row 3: the same person as row 2 (Al Bo): this row's values win" in first.err
    assert details(run, "al-bo")[:2] == ("X", "R2")  # the later row's
    count = run.count()
    again = imported(run, "linkedin", path)
    assert (again["added"], again["updated"], again["unchanged"]) == ([], [], 1)
    assert run.count() == count
    # The same when the person was there before the file.
    run.run("add", "Cy Do", "--company", "Y")
    other = write(tmp_path, "d3.csv", HEADER + "Cy,Do,,,Y,R1,12 Mar 2024\n"
                  "Cy,Do,,,Y,R2,12 Mar 2024\n")
    assert imported(run, "linkedin", other)["updated"] == ["cy-do"]
    assert imported(run, "linkedin", other)["updated"] == []
    assert details(run, "cy-do")[:2] == ("Y", "R2")


def test_a_reimport_after_undoing_an_imports_update(run: InProcessCLI,
                                                    tmp_path: Path) -> None:
    older = write(tmp_path, "v1.csv", HEADER + JANE)
    newer = write(tmp_path, "v2.csv", HEADER + JANE.replace("Acme", "Beta"))
    imported(run, "linkedin", older)
    batch = imported(run, "linkedin", newer)["batch"]
    run.run("undo", "--batch", batch)
    assert details(run, "jane-doe")[0] == "Acme"
    # The older file is what the source last gave now: nothing to do.
    assert imported(run, "linkedin", older)["updated"] == []
    # The newer one again is the same change again: recorded again, as the undone one was.
    assert imported(run, "linkedin", newer)["updated"] == ["jane-doe"]
    assert details(run, "jane-doe")[0] == "Beta"


def test_a_dry_run_says_what_the_import_then_does(run: InProcessCLI, tmp_path: Path) -> None:
    imported(run, "linkedin", write(tmp_path, "v1.csv", HEADER + JANE + RAJ))
    run.run("edit", "jane-doe", "--role", "CTO")
    newer = write(tmp_path, "v2.csv", HEADER + JANE.replace("Acme", "Beta")
                  + "Al,Bo,,,X,R1,12 Mar 2024\nAl,Bo,,,X,R2,12 Mar 2024\n" + RAJ)
    dry = run.run("import", "linkedin", newer, "--dry-run")
    assert dry.out.splitlines()[1:4] == [
        "  update jane-doe: company",
        "  add al-bo (Al Bo)",
        "  keep jane-doe: role (the file differs; yours kept)",
    ]
    planned = imported(run, "linkedin", newer, "--dry-run")
    count = run.count()
    done = imported(run, "linkedin", newer)
    for key in ("added", "updated", "unchanged", "kept", "conflicts", "repeated"):
        assert planned[key] == done[key], key
    assert run.count() == count + 2

"""The built-in templates read right for real data: articles, full stops, missing fields.

Twenty awkward contacts (missing fields, "Inc.", roles starting with a vowel or
an acronym, non-Latin names) are rendered through ``template render`` with every
built-in template; no grammar slip, no crash. The grammar helpers the templates
use as filters are tested one by one below.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coffeechat.messages import a_or_an, article, end_sentence, first_name, how_we_met
from tests.conftest import InProcessCLI

BUILT_IN = ("ask", "nudge", "thank", "checkin", "prep")

# (name, what to call them, add options, history): "asked", "met" (a takeaway and a
# commitment), "scheduled", "noted" (a `note`), or nothing.
CONTACTS: list[tuple[str, str, list[str], str]] = [
    ("Leo Park", "Leo", ["--company", "Acme Inc.", "--role", "Analytics Manager"], "met"),
    ("Ana Ávila", "Ana", ["--role", "SRE"], "asked"),
    ("Marcus O'Brien", "Marcus", ["--company", "O'Brien & Sons, Ltd.",
                                  "--role", "Engineering Manager"], "scheduled"),
    ("山田 太郎", "山田", ["--company", "株式会社ヤマダ", "--role", "エンジニア"], "met"),
    ("Мария Иванова", "Мария", ["--company", "Яндекс", "--role", "Product Owner"], "noted"),
    ("Zoë Ångström-Nyberg", "Zoë", [], ""),
    ("Dr. Amara Okafor", "Amara", ["--company", "Wharton", "--role", "MBA candidate"],
     "scheduled"),
    ("José Álvarez", "José", ["--company", "Globex Corp.", "--role", "HR Business Partner",
                              "--how-met", "met at PyCon"], "asked"),
    ("Priya Natarajan", "Priya", ["--company", "Initech", "--role", "User Researcher",
                                  "--how-met", "alumni newsletter"], "met"),
    ("Chen Wei", "Chen", ["--company", "Uber", "--role", "Uber Eats Operations Lead"], ""),
    ("Fatima Al-Sayed", "Fatima", ["--company", "The Royal Society",
                                   "--role", "Honorary Fellow"], "noted"),
    ("Nguyễn Văn An", "Nguyễn", ["--role", "one-person design studio owner",
                                 "--how-met", "LinkedIn, connected on 12 Mar 2024"], "met"),
    ("Sam", "Sam", ["--role", "Independent Consultant"], "asked"),
    ("Bob Smith Jr.", "Bob", ["--company", "Smith & Co.", "--role", "VP, Engineering"],
     "scheduled"),
    ("Renée Lefèvre", "Renée", ["--company", "L'Oréal S.A.",
                                "--role", "European Partnerships Lead"], "met"),
    ("Kwame Mensah", "Kwame", ["--company", "Mensah Labs", "--role", "8-person team lead",
                               "--how-met", "worked together at Litware"], ""),
    ("Aiyana Redcloud", "Aiyana", ["--company", "U.S. Digital Service", "--role", "IT Manager"],
     "noted"),
    ("Ólafur Arnalds", "Ólafur", ["--company", "Reykjavík City", "--role", "Urban Planner",
                                  "--how-met", "Research meetup, Oct 24"], "asked"),
    ("Li Na", "Li", ["--company", "Li Na's Café", "--role", "Owner"], "met"),
    ("Sofía Rodríguez-García", "Sofía", ["--company", "Example, Inc.",
                                         "--referred-by", "leo-park"], "scheduled"),
]

# "a" before a vowel letter is right only where the vowel sounds like "you" or "w".
A_BEFORE_VOWEL = re.compile(r"\b[Aa] ([AEIOUaeiouÀ-ÖØ-öø-ÿ][\w-]*)")
CONSONANT_SOUNDS = ("user", "uni", "use", "usu", "euro", "one")
# "an" before a consonant letter is right for a silent h, and for letters said by name.
AN_BEFORE_CONSONANT = re.compile(r"\b[Aa]n ([B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z][a-z][\w-]*)")
SILENT_H = ("hour", "honest", "honor", "honour", "heir")


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[InProcessCLI, list[str]]]:
    """One store holding all twenty, with their histories; their ids in CONTACTS order."""
    home = tmp_path_factory.mktemp("awkward")
    cli = InProcessCLI(home)
    (home / "config.toml").write_text('[me]\nname = "Maya López"\n')
    ids = []
    for name, _greet, options, history in CONTACTS:
        recorded = cli.json("add", name, *options)["recorded"]
        contact = next(e["contact"] for e in recorded if e["type"] == "contact.added")
        ids.append(contact)
        if history in ("asked", "met", "scheduled"):
            cli.run("ask", contact, "--on", "2026-10-20")
        if history == "met":
            cli.run("met", contact, "--on", "2026-10-30T16:00:00Z",
                    "--takeaway", "Talk to the platform team at Acme Inc.",
                    "--takeaway", "ship one end-to-end project",
                    "--commitment", "send my portfolio", "--due", "2026-11-06")
        if history == "scheduled":
            cli.run("answer", contact, "accepted")
            cli.run("schedule", contact, "--at", "2026-11-05T15:00:00Z", "--where", "Zoom")
        if history == "noted":
            cli.run("note", contact, "Moved from research to product last spring.")
    yield cli, ids


def slips(text: str) -> list[str]:
    """What reads wrong in rendered text."""
    found = [f"{what!r}" for what in ("None", "..", "  ", " .", " ,", "()", ",,")
             if what in text]
    found += [f"a {word}" for word in A_BEFORE_VOWEL.findall(text)
              if not word.lower().startswith(CONSONANT_SOUNDS)]
    found += [f"an {word}" for word in AN_BEFORE_CONSONANT.findall(text)
              if not word.lower().startswith(SILENT_H)]
    found += [f"line {n} ends in a space" for n, line in enumerate(text.splitlines(), 1)
              if line != line.rstrip()]
    return found


@pytest.mark.parametrize("template", BUILT_IN)
@pytest.mark.parametrize("index", range(len(CONTACTS)),
                         ids=[c[0] for c in CONTACTS])
def test_the_built_in_templates_read_right_for_awkward_contacts(
        book: tuple[InProcessCLI, list[str]], index: int, template: str) -> None:
    cli, ids = book
    name, greet, _options, _history = CONTACTS[index]
    rendered = cli.json("template", "render", template, ids[index])
    subject, body = rendered["subject"], rendered["body"]
    assert subject and body.strip()
    assert not slips(subject) and not slips(body), (slips(subject + "\n" + body), body)
    if template == "prep":
        assert name in subject and name in body
    else:
        assert body.startswith(f"Hi {greet},\n"), body
        assert body.rstrip().endswith("Maya López")


def test_the_texts_say_what_they_should(book: tuple[InProcessCLI, list[str]]) -> None:
    cli, ids = book

    def render(template: str, index: int) -> str:
        result: Any = cli.json("template", "render", template, ids[index])
        return f"{result['subject']}\n{result['body']}"

    leo = render("ask", 0)
    assert "as an Analytics Manager at Acme Inc.\n" in leo
    assert "your perspective as an SRE.\n" in render("ask", 1)
    assert "your perspective as an HR Business Partner at Globex Corp.\n" in render("ask", 7)
    assert "We met at PyCon.\n" in render("ask", 7)
    assert "your perspective.\n" in render("ask", 5)  # nothing known about Zoë
    assert "Leo Park suggested I reach out to you.\n" in render("ask", 19)
    assert "I hope things are going well at Acme Inc. I'd love" in render("checkin", 0)
    assert "I hope things are going well. I'd love" in render("checkin", 5)
    assert "your advice to Talk to the platform team at Acme Inc. I'm already" in \
        render("thank", 0)
    prep = render("prep", 0)
    assert "1. How did you come to be an Analytics Manager at Acme Inc.?" in prep
    assert "- send my portfolio" not in prep and "- Talk to the platform team" in prep
    assert "How did you come to be a one-person design studio owner?" in render("prep", 11)
    assert "my message from 2026-10-20." in render("nudge", 1)
    assert "my message. If" in render("nudge", 5)  # never asked: no date to give


def test_the_prep_sheet_counts_every_note(run: InProcessCLI) -> None:
    run.ids("add", "Jane Doe", "--company", "Acme")
    run.ids("note", "jane-doe", "Runs the data platform team.")
    run.ids("met", "jane-doe", "--notes", "Talked about dashboards.", "--on", "2026-11-01")
    run.ids("checkin", "jane-doe", "--via", "phone", "--note", "She is hiring in spring.")
    prep = run.json("template", "render", "prep", "jane-doe")["body"]
    known = prep.split("## What I know so far\n")[1].split("\n\n")[0].splitlines()
    assert known == ["- Talked about dashboards.", "- Runs the data platform team.",
                     "- She is hiring in spring."]  # oldest first
    run.run("undo")  # an undone note is not known any more
    assert "hiring" not in run.json("template", "render", "prep", "jane-doe")["body"]


def test_your_own_templates_can_use_the_filters(run: InProcessCLI) -> None:
    run.ids("add", "Omar Haddad", "--company", "Fabrikam, Inc.", "--role", "Operations Lead",
            "--how-met", "in the same cohort")
    folder = run.home / "templates"
    folder.mkdir()
    (folder / "mine.j2").write_text(
        "Subject: For {{ contact.name | first_name }}\n\n"
        "You are {{ contact.role | a_or_an }} at {{ contact.company | end_sentence }}\n"
        "{{ contact.how_met | how_we_met }} {{ contact.role | article }}|{{ none | a_or_an }}|"
        "{{ contact.email }}|{{ 'Why' | end_sentence('?') }}\n")
    rendered = run.json("template", "render", "mine", "omar-haddad")
    assert rendered["subject"] == "For Omar"
    assert rendered["body"] == ("You are an Operations Lead at Fabrikam, Inc.\n"
                                "We met in the same cohort. an|||Why?\n")


@pytest.mark.parametrize(("phrase", "expected"), [
    ("Analytics Manager", "an Analytics Manager"),
    ("Engineering Manager", "an Engineering Manager"),
    ("Owner", "an Owner"),
    ("User Researcher", "a User Researcher"),
    ("unicorn founder", "a unicorn founder"),
    ("uninformed guess", "an uninformed guess"),
    ("European lead", "a European lead"),
    ("Uber driver", "an Uber driver"),
    ("hour-long call", "an hour-long call"),
    ("honest broker", "an honest broker"),
    ("Head of Data", "a Head of Data"),
    ("one-person team", "a one-person team"),
    ("onerous task", "an onerous task"),
    ("SRE", "an SRE"),
    ("MBA candidate", "an MBA candidate"),
    ("HR Business Partner", "an HR Business Partner"),
    ("ML Engineer", "an ML Engineer"),
    ("UX Designer", "a UX Designer"),
    ("VP of Sales", "a VP of Sales"),
    ("SVP OF SALES", "an SVP OF SALES"),
    ("SENIOR ENGINEER", "a SENIOR ENGINEER"),
    ("CTO", "a CTO"),
    ("NASA engineer", "a NASA engineer"),
    ("R&D Lead", "an R&D Lead"),
    ("iOS Engineer", "an iOS Engineer"),
    ("Élodie's deputy", "an Élodie's deputy"),
    ("8-person team lead", "an 8-person team lead"),
    ("11-year veteran", "an 11-year veteran"),
    ("100-day plan", "a 100-day plan"),
    ("エンジニア", "a エンジニア"),
    ("  Independent Consultant ", "an Independent Consultant"),
    ("", ""),
    (None, ""),
])
def test_a_or_an(phrase: str | None, expected: str) -> None:
    assert a_or_an(phrase) == expected
    assert article(phrase) == expected.partition(" ")[0]


@pytest.mark.parametrize(("text", "expected"), [
    ("Acme", "Acme."), ("Acme Inc.", "Acme Inc."), ("Why?", "Why?"), ("Go!", "Go!"),
    ('She said "go."', 'She said "go."'), ("  two  spaces ", "two spaces."), ("", ""),
    (None, ""),
])
def test_end_sentence(text: str | None, expected: str) -> None:
    assert end_sentence(text) == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("Jane Doe", "Jane"), ("Dr. Amara Okafor", "Amara"), ("Prof Ng", "Ng"), ("Dr.", "Dr."),
    ("O'Brien, Marcus", "O'Brien"), ("山田 太郎", "山田"), ("Sam", "Sam"),
])
def test_first_name(name: str, expected: str) -> None:
    assert first_name(name) == expected


@pytest.mark.parametrize(("how", "expected"), [
    ("met at PyCon", "We met at PyCon."),
    ("worked together at Litware", "We worked together at Litware."),
    ("in the same cohort", "We met in the same cohort."),
    ("PyCon hallway track", "We crossed paths at PyCon hallway track."),
    ("alumni newsletter", "We crossed paths through the alumni newsletter."),
    ("a friend's party", "We crossed paths at a friend's party."),
    ("LinkedIn, connected on 12 Mar 2024", "We're connected on LinkedIn."),
    ("address book", ""), ("introduced by jane-doe", ""), ("", ""), (None, ""),
])
def test_how_we_met(how: str | None, expected: str) -> None:
    assert how_we_met(how) == expected


def test_the_default_messages_read_right_too() -> None:
    from coffeechat.fold import ContactState
    from coffeechat.messages import default_message

    state: Any = ContactState.__new__(ContactState)
    state.id, state.name, state.company = "leo-park", "Leo Park", "Acme Inc."
    for kind in ("ask", "thank", "checkin"):
        body = default_message(kind, state, to=None).body
        assert not slips(body), (slips(body), body)
        assert body.startswith("Hi Leo,")
    state.company = None
    assert not slips(default_message("checkin", state, to=None).body)


def test_the_helpers_are_documented() -> None:
    doc = (Path(__file__).parent.parent / "docs" / "templates.md").read_text()
    for name in ("a_or_an", "article", "end_sentence", "first_name", "how_we_met"):
        assert f"`{name}`" in doc, name

"""CONTACT as people say it (first names, accents, Obsidian links); `add` warns of lookalikes."""

from __future__ import annotations

import pytest

from coffeechat.resolve import ContactDirectory, company_key, fold, link_target, similar_names
from tests.conftest import CLI


def add(run: CLI, name: str, *options: str) -> str:
    """Add a contact; its id."""
    return str(run.json("add", name, *options)["recorded"][-1]["contact"])


def contact_of(run: CLI, *args: str) -> str:
    """The contact a recording command recorded on."""
    return str(run.json(*args)["recorded"][0]["contact"])


def error(run: CLI, *args: str) -> str:
    """The one-line error of a command that must fail as a user error."""
    result = run.run(*args, expect=1)
    assert result.out == "" and result.err.count("\n") == 1, result.err
    return result.err


@pytest.fixture
def people(run: CLI) -> CLI:
    for name in ("Priya Natarajan", "Priyanka Das", "José Álvarez", "Dana Whitfield",
                 "Marcus O’Brien", "Łukasz Nowak", "Ana García-López", "李小龍",
                 "Мария Иванова", "佐藤 ガク", "佐藤 カク"):
        add(run, name)
    return run


# -- a whole word beats a partial match ---------------------------------------------------

def test_a_whole_first_name_beats_a_partial_match(people: CLI) -> None:
    assert contact_of(people, "ask", "priya") == "priya-natarajan"
    assert contact_of(people, "ask", "Priyanka") == "priyanka-das"
    assert people.json("show", "PRIYA")["name"] == "Priya Natarajan"


def test_a_whole_last_name_or_any_word_counts(people: CLI) -> None:
    assert people.json("show", "natarajan")["id"] == "priya-natarajan"
    assert people.json("show", "das")["id"] == "priyanka-das"
    assert people.json("show", "lopez")["id"] == "ana-garcía-lópez"  # a hyphenated name's part
    assert people.json("show", "garcia-lopez")["id"] == "ana-garcía-lópez"


def test_several_whole_words_in_any_order(run: CLI) -> None:
    add(run, "Jane M. Doe")
    add(run, "Jane Doering")
    # "jane doe" is part of "Jane Doering" only, but both words are words of Jane M. Doe.
    assert run.json("show", "jane doe")["id"] == "jane-m-doe"
    assert run.json("show", "Doe, Jane")["id"] == "jane-m-doe"
    assert run.json("show", "jane doer")["id"] == "jane-doering"  # a part, as before


def test_a_part_of_the_name_still_works_when_it_is_unambiguous(people: CLI) -> None:
    assert people.json("show", "priyan")["id"] == "priyanka-das"
    assert people.json("show", "whit")["id"] == "dana-whitfield"
    assert people.json("show", "a nat")["id"] == "priya-natarajan"


# -- accents, case and script -------------------------------------------------------------

def test_accents_do_not_matter(people: CLI) -> None:
    assert contact_of(people, "met", "jose") == "josé-álvarez"
    assert contact_of(people, "note", "Jose Alvarez", "met at the meetup") == "josé-álvarez"
    assert people.json("show", "ÁLVAREZ")["id"] == "josé-álvarez"
    assert people.json("show", "alva")["id"] == "josé-álvarez"
    assert people.json("show", "lukasz")["id"] == "łukasz-nowak"  # a letter with its own stroke
    assert people.json("show", "o'brien")["id"] == "marcus-o-brien"  # ’ is '


def test_other_scripts_keep_working(people: CLI) -> None:
    assert people.json("show", "李小龍")["id"] == "李小龍"
    assert people.json("show", "小龍")["id"] == "李小龍"
    assert people.json("show", "мария")["id"] == "мария-иванова"
    # The kana voicing mark makes another letter: ガク is not カク.
    assert people.json("show", "ガク")["name"] == "佐藤 ガク"
    assert people.json("show", "カク")["name"] == "佐藤 カク"
    assert "matches 2 contacts" in error(people, "show", "佐藤")


def test_folding() -> None:
    assert fold("  José\u00a0 ÁLVAREZ ") == "jose alvarez"
    assert fold("Jose\u0301") == "jose"  # already decomposed
    assert fold("Straße") == "strasse"
    assert fold("Søren Kierkegaard") == "soren kierkegaard"
    assert fold("李小龍") == "李小龍"
    assert fold("ガク") != fold("カク")
    assert fold("김민준") == "김민준"  # Hangul composed again, so parts are whole syllables


# -- Obsidian links -----------------------------------------------------------------------

@pytest.mark.parametrize("link", ["[[Dana Whitfield]]", "[[Dana Whitfield|Dana]]",
                                  "[[dana-whitfield]]", "[[People/Dana Whitfield#Notes]]",
                                  "[[Dana Whitfield.md|D]]", " [[ dana ]] "])
def test_obsidian_links_work_anywhere_a_contact_does(people: CLI, link: str) -> None:
    assert people.json("show", link)["id"] == "dana-whitfield"


def test_links_in_options_referrals_and_templates(people: CLI) -> None:
    bob = add(people, "Bob Stone", "--referred-by", "[[Dana Whitfield|Dana]]")
    assert people.json("show", bob)["referred_by"] == "dana-whitfield"
    refer = people.json("refer", "[[José Álvarez|José]]", "Carla Mendes")["recorded"]
    assert {r["contact"] for r in refer} == {"josé-álvarez", "carla-mendes"}
    logged = people.json("log", "--contact", "[[Priya Natarajan]]")
    assert {e["stream"] for e in logged} == {"contact:priya-natarajan"}
    people.run("edit", "[[Dana Whitfield]]", "--referred-by", "[[priya]]")
    assert people.json("show", "dana")["referred_by"] == "priya-natarajan"
    assert "Dana" in people.run("template", "render", "ask", "[[Dana Whitfield|Dana]]").out


def test_a_link_that_names_nobody(people: CLI) -> None:
    assert "no contact matches '[[Nobody Here]]'" in error(people, "show", "[[Nobody Here]]")
    assert "must not be empty" in error(people, "show", "[[]]")


def test_link_targets() -> None:
    assert link_target("[[Dana Whitfield|Dana]]") == "Dana Whitfield"
    assert link_target("![[a/b/Dana#^block]]") == "Dana"
    assert link_target("Dana [[Whitfield]]") == "Dana [[Whitfield]]"  # not a link as a whole
    assert link_target(" jane ") == "jane"


# -- notes --------------------------------------------------------------------------------

def test_a_notes_contact_key_resolves_the_same_way(people: CLI) -> None:
    notes = people.home / "notes"
    notes.mkdir()
    for file, contact in [("a.md", '"[[José Álvarez|José]]"'), ("b.md", "priya"),
                          ("c.md", "jose alvarez"), ("d.md", "'[[dana-whitfield]]'")]:
        (notes / file).write_text(f"---\ntype: note\ncontact: {contact}\ndate: 2026-11-01\n"
                                  f"---\nfrom {file}\n")
    (notes / "e.md").write_text("---\ntype: note\ncontact: priy\ndate: 2026-11-01\n---\nx\n")
    result = people.run("watch", str(notes), "--once", "--json", expect=1).json()
    assert sorted(result["recorded"]) == ["a.md", "b.md", "c.md", "d.md"]
    [problem] = result["errors"]
    assert problem["path"] == "e.md" and "matches 2 contacts" in problem["message"]
    sources = {e["source"]: e["stream"] for e in people.json("log", "--type", "note.added")}
    assert sources == {"notes:a.md": "contact:josé-álvarez",
                       "notes:b.md": "contact:priya-natarajan",
                       "notes:c.md": "contact:josé-álvarez",
                       "notes:d.md": "contact:dana-whitfield"}



def test_a_contact_note_written_as_a_link_names_the_person(people: CLI) -> None:
    notes = people.home / "notes"
    notes.mkdir()
    (notes / "dana.md").write_text('---\ntype: contact\ncontact: "[[Dana Whitfield]]"\n'
                                   "company: Canva\n---\n")
    (notes / "omar.md").write_text('---\ntype: contact\ncontact: "[[Omar Haddad|Omar]]"\n---\n')
    people.run("watch", str(notes), "--once")
    dana = people.json("show", "dana-whitfield")
    assert (dana["name"], dana["company"]) == ("Dana Whitfield", "Canva")
    assert people.json("show", "omar")["name"] == "Omar Haddad"
    assert not [c for c in people.json("contacts") if "[" in c["name"]]

# -- ambiguity and ids --------------------------------------------------------------------

def test_an_ambiguous_word_lists_only_the_people_it_names(run: CLI) -> None:
    for name in ("Sam Lee", "Sam Park", "Samantha Ray"):
        add(run, name)
    message = error(run, "ask", "sam")
    assert message.startswith("coffeechat: error: CONTACT: 'sam' matches 2 contacts: ")
    assert "Sam Lee (sam-lee), Sam Park (sam-park)" in message
    assert "Samantha" not in message and "give more of the name or the id" in message
    assert "matches 3 contacts" in error(run, "ask", "sa")  # parts: all three
    assert "no contact matches 'Zed' (see `coffeechat contacts`)" in error(run, "ask", "Zed")


def test_two_people_of_one_name_are_ambiguous_by_name_and_found_by_id(run: CLI) -> None:
    add(run, "Alex Kim", "--company", "Acme")
    add(run, "Alex Kim", "--company", "Initech")
    add(run, "Alex Kimball")
    message = error(run, "show", "alex kim")
    assert "matches 2 contacts: Alex Kim (alex-kim), Alex Kim (alex-kim-2)" in message
    assert run.json("show", "alex-kim-2")["company"] == "Initech"


def test_ids_still_win(run: CLI) -> None:
    add(run, "Jane Doe")
    assert add(run, "jane-doe") == "jane-doe-2"  # someone whose whole name is that text
    add(run, "Lee")
    add(run, "Sam Lee")
    assert run.json("show", "jane-doe")["name"] == "Jane Doe"
    assert run.json("show", "JANE-DOE")["name"] == "Jane Doe"
    assert run.json("show", "lee")["id"] == "lee"  # the id, though it is a word of Sam Lee too
    assert run.json("show", "[[lee]]")["id"] == "lee"
    add(run, "José Álvarez")
    assert run.json("show", "Jose-Alvarez")["id"] == "josé-álvarez"  # an id, accents aside
    run.run("merge", "lee", "sam-lee")
    assert run.json("show", "sam-lee")["id"] == "lee"  # a merged id: the contact it became


def test_a_directory_forgets_what_it_learned() -> None:
    directory = ContactDirectory([("priya-natarajan", "Priya Natarajan")])
    assert directory.resolve("priya") == "priya-natarajan"
    directory.add("priya-das", "Priya Das")
    assert directory.matches("priya") == ["priya-natarajan", "priya-das"]
    directory.forget("priya-das")
    assert directory.resolve("priya") == "priya-natarajan"
    assert directory.matches("das") == []


# -- add warns about lookalikes -----------------------------------------------------------

def warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("coffeechat: warning: ")]


def test_same_company_and_a_similar_name_warns_and_names_merge(run: CLI) -> None:
    add(run, "Jane M. Doe", "--company", "Acme")
    result = run.run("add", "Jane Doe", "--company", "Acme, Inc.")
    assert result.out.split()[1:] == ["contact.added", "jane-doe"]  # recorded all the same
    assert warnings(result.err) == [
        "coffeechat: warning: Jane Doe looks like Jane M. Doe (jane-m-doe), same company Acme; "
        "if they are one person: coffeechat merge jane-m-doe jane-doe"]
    assert len(run.json("contacts")) == 2
    run.run("merge", "jane-m-doe", "jane-doe")  # the command it names works
    assert [c["id"] for c in run.json("contacts")] == ["jane-m-doe"]


def test_one_warning_per_lookalike(run: CLI) -> None:
    add(run, "Jane Doe", "--company", "Acme")
    add(run, "Jane Q. Doe", "--company", "Initech", "--email", "jane@example.com")
    result = run.run("add", "J. Doe", "--company", "ACME", "--email", "Jane@Example.com")
    assert warnings(result.err) == [
        "coffeechat: warning: J. Doe looks like Jane Doe (jane-doe), same company Acme; "
        "if they are one person: coffeechat merge jane-doe j-doe",
        "coffeechat: warning: J. Doe looks like Jane Q. Doe (jane-q-doe), same email "
        "jane@example.com; if they are one person: coffeechat merge jane-q-doe j-doe"]


def test_same_email_or_linkedin_warns_whatever_the_name(run: CLI) -> None:
    add(run, "Dana Whitfield", "--email", "dana@example.com",
        "--linkedin", "https://www.linkedin.com/in/dana-w/")
    by_email = run.run("add", "D. W.", "--email", "DANA@example.com").err
    assert "same email dana@example.com;" in by_email
    by_profile = run.run("add", "Whit", "--linkedin", "linkedin.com/in/Dana-W?trk=x").err
    assert "same LinkedIn profile linkedin.com/in/dana-w;" in by_profile
    assert by_profile.count("warning:") == 1


def test_the_very_same_name_warns_unless_companies_tell_them_apart(run: CLI) -> None:
    add(run, "José Álvarez")
    assert "same name; if they are one person: coffeechat merge josé-álvarez jose-alvarez" \
        in run.run("add", "Jose Alvarez").err
    add(run, "Kim Park", "--company", "Acme")
    assert warnings(run.run("add", "Kim Park", "--company", "Initech").err) == []


def test_lookalikes_written_in_other_characters_are_found(run: CLI) -> None:
    """SQLite folds ASCII only: rows with other characters are read whatever the query."""
    add(run, "Ｊａｎｅ Ｄｏｅ")  # fullwidth letters: no ASCII letter to match in SQL
    assert "same name;" in run.run("add", "Jane Doe").err
    add(run, "Łukasz Nowak", "--company", "Ａｃｍｅ")
    assert "same company Ａｃｍｅ;" in run.run("add", "L. Nowak", "--company", "ACME").err
    add(run, "Élodie", "--linkedin", "https://linkedin.com/in/ÉLODIE-M")
    assert "same LinkedIn profile linkedin.com/in/élodie-m;" in run.run(
        "add", "E. M.", "--linkedin", "linkedin.com/in/élodie-m").err


def test_lookalikes_follow_edits_and_undo(run: CLI) -> None:
    """The projection keeps each contact's compared name, company and profile: an edit
    or an undo moves them, so a warning names what the contact is now."""
    add(run, "Jane Doe", "--company", "Acme", "--linkedin", "linkedin.com/in/jd")
    run.run("edit", "jane-doe", "--name", "Jane Roe", "--company", "Initech",
            "--linkedin", "https://www.linkedin.com/in/jane-roe/")
    assert warnings(run.run("add", "Jane Doe", "--company", "Acme",
                            "--linkedin", "linkedin.com/in/jd").err) == []
    assert "same company Initech; if they are one person: coffeechat merge jane-doe j-roe" \
        in run.run("add", "J. Roe", "--company", "INITECH INC").err
    assert "same LinkedIn profile linkedin.com/in/jane-roe;" in run.run(
        "add", "Someone", "--linkedin", "http://linkedin.com/in/Jane-Roe").err
    for _gone in ("Someone", "J. Roe", "jane-doe-2", "the edit: Jane Doe at Acme again"):
        run.run("undo")
    assert warnings(run.run("add", "JANE  doe").err) == [
        "coffeechat: warning: JANE  doe looks like Jane Doe (jane-doe), same name; "
        "if they are one person: coffeechat merge jane-doe jane-doe-3"]


@pytest.mark.parametrize(("existing", "new"), [
    (("Jane Doe", "--company", "Acme"), ("Jane Doe", "--company", "Initech")),
    (("Jane Doe", "--company", "Acme"), ("John Smith", "--company", "Acme")),
    (("John Doe", "--company", "Acme"), ("Jon Doe", "--company", "Acme")),  # nothing fuzzy
    (("Jane Doe", "--email", "jane@a.com"), ("Jane Doe-Smith", "--email", "jd@b.com")),
])
def test_no_warning_for_different_people(run: CLI, existing: tuple[str, ...],
                                         new: tuple[str, ...]) -> None:
    add(run, *existing)
    assert run.run("add", *new).err == ""


def test_json_output_stays_one_document(run: CLI) -> None:
    add(run, "Jane Doe", "--company", "Acme")
    result = run.run("add", "Jane Doe", "--company", "Acme", "--json")
    assert result.json()["recorded"][0]["contact"] == "jane-doe-2"
    assert len(warnings(result.err)) == 1


def test_a_referred_contact_is_checked_too(run: CLI) -> None:
    add(run, "Priya Natarajan", "--company", "Acme")
    add(run, "Bob Stone", "--company", "Acme")
    result = run.run("add", "Bob A. Stone", "--company", "Acme", "--referred-by", "priya")
    assert warnings(result.err) == [
        "coffeechat: warning: Bob A. Stone looks like Bob Stone (bob-stone), same company Acme;"
        " if they are one person: coffeechat merge bob-stone bob-a-stone"]


@pytest.mark.parametrize(("a", "b", "similar"), [
    ("Jane Doe", "Jane M. Doe", True),  # one's words all in the other's
    ("Doe", "Jane Doe", True),
    ("Doe Jane", "jane doe", True),
    ("J. Doe", "Jane Doe", True),  # an initial and the same last word
    ("Jane A. Doe", "Jane B. Doe", True),  # same first and last word
    ("José Álvarez", "Jose Alvarez", True),
    ("李小龍", "李小龍", True),
    ("Jon Doe", "John Doe", False),
    ("Jane Doe", "Jane Smith", False),
    ("J. Doe", "Jane Smith", False),
    ("Jane Doe", "Doe Smith", False),
    ("", "Jane", False),
])
def test_similar_names(a: str, b: str, similar: bool) -> None:
    assert similar_names(a, b) is similar
    assert similar_names(b, a) is similar


def test_company_keys() -> None:
    assert company_key("Acme, Inc.") == company_key("ACME") == "acme"
    assert company_key("Acme Co.") == "acme"
    assert company_key("Société Générale") == "societe generale"
    assert company_key("Co") == "co"  # a name that is only a legal form stays
    assert company_key(None) == ""

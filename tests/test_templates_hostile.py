"""Hostile templates cannot hang or blow up a command, and drafts and exports stay private.

Every refused template is run twice, with ``--draft`` and without: either
way the command exits 1 with one line naming the template, writes no draft
and records nothing.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from coffeechat import limits
from tests.conftest import InProcessCLI

BOUND = 10.0  # seconds: a test that would hang on broken code fails after this instead


@pytest.fixture
def jane(run: InProcessCLI, tmp_path: Path) -> InProcessCLI:
    (run.home / "config.toml").write_text(
        '[me]\nname = "Maya Lopez"\nemail = "maya@example.com"\n'
        f'[email]\noutbox = "{tmp_path / "outbox"}"\n')
    run.ids("add", "Jane Doe", "--company", "Acme", "--email", "jane@acme.example")
    return run


@pytest.fixture
def fast_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "TEMPLATE_SECONDS", 0.5)


@pytest.fixture
def umask() -> Iterator[None]:
    """A common umask, under which a plain open() would make files others can read."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def outbox(cli: InProcessCLI) -> Path:
    return cli.home.parent / "outbox"


def drafts(cli: InProcessCLI) -> list[Path]:
    return sorted(outbox(cli).glob("*.eml")) if outbox(cli).exists() else []


def write_template(cli: InProcessCLI, name: str, text: str) -> None:
    folder = cli.home / "templates"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.j2").write_text(text)


def refused(cli: InProcessCLI, text: str) -> str:
    """The one error line of ``ask --template evil`` (with and without --draft)."""
    write_template(cli, "evil", text)
    before = cli.count()
    lines = []
    for extra in (["--draft"], []):
        started = time.monotonic()
        with limits.time_limit(BOUND, "the test's own bound"):
            result = cli.run("ask", "jane", "--template", "evil", *extra, expect=None)
        assert time.monotonic() - started < BOUND
        assert result.code == 1, (result.out, result.err)
        assert "Traceback" not in result.err
        [line] = result.err.splitlines()
        assert line.startswith("coffeechat: error: template 'evil'"), line
        assert drafts(cli) == [] and cli.count() == before
        lines.append(line)
    assert lines[0] == lines[1]
    return lines[0]


def drafted(cli: InProcessCLI, text: str) -> tuple[str, str]:
    """(subject, body) of the draft ``ask --template good --draft`` writes."""
    import email
    import email.policy

    write_template(cli, "good", text)
    result = cli.run("ask", "jane", "--template", "good", "--draft")
    path = Path(result.out.strip().removeprefix("draft written to "))
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return str(message["Subject"]), message.get_content().replace("\r\n", "\n")


# -- finding 1: no hang, no runaway size ---------------------------------------------

def test_a_template_that_loops_forever_is_stopped(jane: InProcessCLI, fast_limit: None) -> None:
    line = refused(jane, "Subject: hi\n\n{% for i in range(100000) %}"
                         "{% for j in range(100000) %}{% endfor %}{% endfor %}\n")
    assert "took longer than 0.5 s and was stopped" in line


def test_a_template_that_writes_forever_is_stopped_at_the_size_limit(jane: InProcessCLI
                                                                     ) -> None:
    started = time.monotonic()
    line = refused(jane, "Subject: hi\n\n{% for i in range(100000) %}"
                         "{% for j in range(100000) %}x{% endfor %}{% endfor %}\n")
    assert "longer than 100,000 characters" in line
    assert time.monotonic() - started < limits.TEMPLATE_SECONDS  # the size limit stopped it


def test_a_message_just_over_the_size_limit_is_refused(jane: InProcessCLI) -> None:
    line = refused(jane, "Subject: hi\n\n{% for i in range(2001) %}{{ 'x' * 50 }}{% endfor %}\n")
    assert "longer than 100,000 characters" in line


def test_a_long_message_under_the_limit_is_fine(jane: InProcessCLI) -> None:
    _subject, body = drafted(jane, "Subject: hi\n\n{% for i in range(1900) %}"
                                   "{{ 'x' * 50 }}{% endfor %}\n")
    assert body == "x" * 95_000 + "\n"


# Each expression makes something over the limit but prints only a few characters,
# so only a guard that refuses it before it is made can stop it.
AMPLIFIERS = {
    "format width": "{{ '{:>150000}'.format('x')|length }}",
    "format nested width": "{{ '{:>{}}'.format('x', 150000)|length }}",
    "format_map width": "{{ '{a:>150000}'.format_map({'a': 'x'})|length }}",
    "format on an escaped string": "{{ ('{:>150000}'|escape).format('x')|length }}",
    "percent width": "{{ ('%150000s' % 'x')|length }}",
    "percent precision": "{{ ('%.150000f' % 1.5)|length }}",
    "percent star width": "{{ ('%*s' % (150000, 'x'))|length }}",
    "str.center": "{{ 'x'.center(150000)|length }}",
    "str.ljust": "{{ 'x'.ljust(150000)|length }}",
    "str.rjust": "{{ 'x'.rjust(150000, '-')|length }}",
    "str.zfill": "{{ '1'.zfill(150000)|length }}",
    "str.expandtabs": "{{ ('\\t' * 10).expandtabs(15000)|length }}",
    "str.replace": "{{ ('x' * 1000).replace('x', 'y' * 150)|length }}",
    "str.join": "{{ ('y' * 1000).join(['x'] * 151)|length }}",
    "str.translate": "{{ ('x' * 1000).translate({120: 'y' * 150})|length }}",
    "center filter": "{{ 'x'|center(150000)|length }}",
    "indent filter": "{{ ('x\\n' * 1000)|indent(150)|length }}",
    "indent filter with a string": "{{ ('x\\n' * 1000)|indent('y' * 150)|length }}",
    "wordwrap filter": "{{ ('ab ' * 1000)|wordwrap(2, wrapstring='y' * 150)|length }}",
    "format filter": "{{ '%150000s'|format('x')|length }}",
    "join filter": "{{ (['x'] * 151)|join('y' * 1000)|length }}",
    "replace filter": "{{ ('x' * 1000)|replace('x', 'y' * 150)|length }}",
    "batch filter": "{{ [1]|batch(150000, 0)|list|length }}",
    "slice filter": "{{ [1]|slice(150000, 0)|list|length }}",
    "sum filter": "{{ ([[0] * 1000] * 151)|sum(start=[])|length }}",
    "tojson indent": "{{ ([0] * 1000)|tojson(indent=200)|length }}",
    "lipsum": "{{ lipsum(n=5000)|length }}",
    "str * int": "{{ ('x' * 150000)|length }}",
    "int * str": "{{ (150000 * 'x')|length }}",
    "list * int": "{{ ([0] * 150000)|length }}",
    "int ** int": "{{ (7 ** 200000) > 0 }}",
    "big int * big int": "{{ ((10 ** 60000) * (10 ** 60000)) > 0 }}",
    "str + str": "{{ (('x' * 60000) + ('x' * 60000))|length }}",
    "list + list": "{{ (([0] * 60000) + ([0] * 60000))|length }}",
    "str ~ str": "{{ (('x' * 60000) ~ ('x' * 60000))|length }}",
    "list.extend": "{% set l = [0] * 60000 %}{{ l.extend(l) }}{{ l|length }}",
    "doubling in a macro": ("{% macro d(s, n) %}{{ d(s ~ s, n - 1) if n else s|length }}"
                            "{% endmacro %}{{ d('x', 18) }}"),
    "doubling in a namespace": ("{% set ns = namespace(s='x') %}{% for i in range(18) %}"
                                "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}"),
}


@pytest.mark.parametrize("expression", AMPLIFIERS.values(), ids=AMPLIFIERS.keys())
def test_what_would_grow_too_big_is_refused_before_it_is_made(jane: InProcessCLI,
                                                              expression: str) -> None:
    line = refused(jane, f"Subject: hi\n\n{expression}\n")
    assert "template 'evil', line 3: not allowed:" in line, line
    assert "more than the 100,000 a template may make" in line, line


def test_the_same_operations_at_a_sensible_size_still_work(jane: InProcessCLI) -> None:
    _subject, body = drafted(jane, (
        "Subject: hi\n\n"
        "{{ '{:>5}'.format('x') }}|{{ '%5s' % 'x' }}|{{ 'x'.center(5) }}|{{ '7'.zfill(3) }}"
        "|{{ ['a', 'b']|join(', ') }}|{{ 'x'|center(5) }}|{{ 'a-b'|replace('-', '+') }}"
        "|{{ 'ab' * 2 }}|{{ 2 ** 10 }}|{{ 'a' ~ 'b' }}|{{ [1] + [2] }}"
        "|{{ 'a b c d'|wordwrap(3) }}|{{ '%s!'|format('hi') }}|{{ 'a\nb'|indent(2) }}\n"))
    assert body == ("    x|    x|  x  |007|a, b|  x  |a+b|abab|1024|ab|[1, 2]|a b\nc d|hi!"
                    "|a\n  b\n")


def test_a_template_that_piles_up_memory_is_stopped(jane: InProcessCLI,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from coffeechat.plugins import templates

    if not templates.can_cap_memory():
        pytest.skip("no address-space limit on this system")
    monkeypatch.setattr(templates, "TEMPLATE_MEMORY_BYTES", 32 * 1024 * 1024)
    # Each value is under the size limit; together they are not. (An emoji takes
    # 4 bytes, so the cap is reached in few steps.)
    line = refused(jane, "Subject: hi\n\n{% set ns = namespace(items=[]) %}"
                         "{% for i in range(1000) %}"
                         "{% set ns.items = ns.items + [('\U0001F600' * 99990) ~ i] %}{% endfor %}"
                         "{{ ns.items|length }}\n")
    assert "needed more than 32 MiB of memory and was stopped" in line


# -- finding 2: the subject is one line ------------------------------------------------

@pytest.mark.parametrize("subject", [
    '{{ "Hi\\nBcc: everyone@example.com" }}',
    '{{ "Hi\\rBcc: everyone@example.com" }}',
    "Hi {{ contact.name ~ '\\n' }}Bcc: everyone@example.com",
    "{% macro two() %}Hi\nBcc: x{% endmacro %}{{ two() }}",
    "{{ 'Hi Bcc: everyone@example.com'|wordwrap(3) }}",
    '{% filter upper %}{{ "Hi\\nBcc: everyone@example.com" }}{% endfilter %}',
])
def test_a_line_break_made_in_the_subject_is_refused(jane: InProcessCLI, subject: str) -> None:
    line = refused(jane, f"Subject: {subject}\n\nbody\n")
    assert "line 1: the subject holds a line break" in line


def test_line_breaks_made_in_the_body_are_kept(jane: InProcessCLI) -> None:
    subject, body = drafted(jane, 'Subject: {{ "Hi" }}\n\n{{ "one\\ntwo" }}\nthree\n')
    assert (subject, body) == ("Hi", "one\ntwo\nthree\n")


def test_line_breaks_a_value_makes_are_ordinary_text_after_the_subject(jane: InProcessCLI
                                                                       ) -> None:
    # Made before the subject line ended (a {% set %} block), shown in the body;
    # made after it, and handled by the template as lines (indent).
    subject, body = drafted(jane, (
        '{% set early %}{{ "a\\nb" }}{% endset %}'
        '{% macro lines() %}{{ "c\\nd" }}{% endmacro %}'
        "Subject: Hi\n\n{{ early }}\n- {{ lines()|indent(2) }}\n"))
    assert (subject, body) == ("Hi", "a\nb\n- c\n  d\n")


# -- finding 3: a missing include is named ----------------------------------------------

def test_a_missing_include_is_named(jane: InProcessCLI) -> None:
    line = refused(jane, "Subject: hi\n\nHello\n{% include 'signature.j2' %}\n")
    assert "template 'evil', line 4: 'signature.j2' does not exist" in line
    assert "no template 'evil'" not in line


def test_a_missing_include_inside_an_include_is_named(jane: InProcessCLI) -> None:
    write_template(jane, "middle", "{% include 'gone.j2' %}\n")
    line = refused(jane, "Subject: hi\n\n{% include 'middle.j2' %}\n")
    assert "'gone.j2' does not exist" in line and "'middle'" in line


def test_an_include_that_exists_works(jane: InProcessCLI) -> None:
    write_template(jane, "signature", "-- {{ me.name }}\n")
    assert drafted(jane, "Subject: hi\n\nHello\n{% include 'signature.j2' %}")[1] == (
        "Hello\n-- Maya Lopez\n")


# -- finding 5: whatever fails, nothing is written or recorded ----------------------------

@pytest.mark.parametrize(("text", "words"), [
    ("Subject: x\n\n{{ ''.__class__.__subclasses__() }}\n", "not allowed"),
    ("Subject: x\n\nHi {{ contact.nickname }}\n", "line 3: UndefinedError"),
    ("Subject: x\n\n{{ 1 / 0 }}\n", "line 3: ZeroDivisionError"),
    ("Subject: x\n\n{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}\n", "RecursionError"),
    ("Subject: x\n\n{% for i in %}\n", "line 3:"),
])
def test_a_failing_template_writes_no_draft(jane: InProcessCLI, text: str, words: str) -> None:
    assert words in refused(jane, text)


# -- finding 4: drafts, the outbox and exports are private ----------------------------------

def test_drafts_and_the_outbox_are_private(jane: InProcessCLI, umask: None) -> None:
    jane.run("ask", "jane", "--draft")
    [draft] = drafts(jane)
    assert stat.S_IMODE(draft.stat().st_mode) == 0o600
    assert stat.S_IMODE(outbox(jane).stat().st_mode) == 0o700


def test_an_outbox_in_a_new_folder_is_private_all_the_way_down(jane: InProcessCLI,
                                                               tmp_path: Path,
                                                               umask: None) -> None:
    deep = tmp_path / "mail" / "drafts"
    config = jane.home / "config.toml"
    config.write_text(config.read_text().replace(str(tmp_path / "outbox"), str(deep)))
    jane.run("ask", "jane", "--draft")
    assert stat.S_IMODE(deep.stat().st_mode) == 0o700
    assert stat.S_IMODE(deep.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize("kind", ["ics", "jsonl"])
def test_exports_written_to_a_file_are_private(jane: InProcessCLI, tmp_path: Path,
                                               umask: None, kind: str) -> None:
    jane.ids("schedule", "jane", "--at", "2026-11-10T15:00:00Z")
    out = tmp_path / f"export.{kind}"
    jane.run("export", kind, "--out", str(out))
    assert out.stat().st_size > 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


# -- template files: regular files only, and not too big -------------------------------------

def bounded(cli: InProcessCLI, *args: str) -> str:
    """The one error line of a command that must fail at once (a blocked read fails the test)."""
    with limits.time_limit(BOUND, "the test's own bound"):
        result = cli.run(*args, expect=1)
    assert "Traceback" not in result.err
    [line] = result.err.splitlines()
    return line


def big_template() -> str:
    """Over the file limit, though it renders to a short message."""
    return "Subject: hi\n\n{# " + "x" * limits.TEMPLATE_FILE_BYTES + " #}Hello\n"


def test_a_template_file_over_the_size_limit_is_refused(jane: InProcessCLI) -> None:
    write_template(jane, "evil", big_template())
    size = len(big_template())
    line = bounded(jane, "template", "show", "evil")
    assert line.startswith("coffeechat: error: template 'evil': ") and line.endswith(
        f"evil.j2 is {size:,} bytes, over the limit of {limits.TEMPLATE_FILE_BYTES:,} bytes "
        "for a template"), line
    assert f"evil.j2 is {size:,} bytes, over the limit" in refused(
        jane, big_template())


def test_an_included_template_file_over_the_size_limit_is_refused(jane: InProcessCLI) -> None:
    write_template(jane, "huge", big_template())
    line = refused(jane, "Subject: hi\n\n{% include 'huge.j2' %}\n")
    assert "template 'evil', line 3: " in line and "huge.j2 is " in line, line


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_template_that_is_a_fifo_or_a_device_is_refused_without_waiting(
        jane: InProcessCLI, kind: str) -> None:
    folder = jane.home / "templates"
    folder.mkdir()
    if kind == "fifo":
        os.mkfifo(folder / "evil.j2")
    else:
        (folder / "evil.j2").symlink_to("/dev/null")
    assert "evil" in [t["name"] for t in jane.json("template", "list")]
    show = bounded(jane, "template", "show", "evil")
    assert show.startswith("coffeechat: error: template 'evil': ") and show.endswith(
        "evil.j2 is not a regular file (templates are read from regular files only)"), show
    for args in (["template", "render", "evil", "jane"], ["ask", "jane", "--template", "evil"],
                 ["ask", "jane", "--template", "evil", "--draft"]):
        assert bounded(jane, *args) == show, args
    assert drafts(jane) == []


def test_an_included_fifo_is_refused_without_waiting(jane: InProcessCLI) -> None:
    os.mkfifo(_templates(jane) / "pipe.j2")
    line = refused(jane, "Subject: hi\n\n{% include 'pipe.j2' %}\n")
    assert "template 'evil', line 3: " in line and "pipe.j2 is not a regular file" in line


def _templates(cli: InProcessCLI) -> Path:
    folder = cli.home / "templates"
    folder.mkdir(exist_ok=True)
    return folder

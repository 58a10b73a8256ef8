"""The docs are checked: the CLI reference matches the code, examples in docs run."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from coffeechat.cli.reference import render_reference

ROOT = Path(__file__).resolve().parent.parent


def test_cli_reference_has_not_drifted() -> None:
    written = (ROOT / "docs" / "cli.md").read_text()
    assert written == render_reference(), (
        "docs/cli.md is stale: run `python -m coffeechat.cli.reference > docs/cli.md`")


def test_every_contract_command_is_in_the_reference() -> None:
    text = (ROOT / "docs" / "cli.md").read_text()
    for command in ("add", "ask", "answer", "schedule", "met", "thank", "checkin", "refer",
                    "commit", "done", "note", "cadence", "edit", "archive", "undo", "contacts",
                    "show", "due", "referrals", "search", "log", "rebuild", "verify", "backup"):
        assert f"## coffeechat {command}\n" in text


def _blocks_after(marker: str, text: str) -> list[str]:
    pattern = re.compile(rf"<!-- {marker} -->\n```\w+\n(.*?)\n```", re.DOTALL)
    return pattern.findall(text)


def _normal(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text.strip())


def test_every_hook_is_documented_with_its_exact_signature() -> None:
    from coffeechat import hookspecs

    text = (ROOT / "docs" / "plugins.md").read_text()
    specs = [name for name, value in vars(hookspecs).items()
             if callable(value) and hasattr(value, "coffeechat_spec")]
    assert len(specs) >= 11
    for name in specs:
        params = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
        assert f"### {name}({params})\n" in text, f"{name}({params}) is not documented"


def test_every_contact_state_field_is_documented() -> None:
    from coffeechat.fold import ContactState

    text = (ROOT / "docs" / "plugins.md").read_text()
    section = text.split("### ContactState: a contact as the log has it\n", 1)[1]
    section = section.split("\n### ", 1)[0]
    named = set(re.findall(r"`(\w+)`", section))
    assert set(ContactState.__slots__) <= named, sorted(set(ContactState.__slots__) - named)


@pytest.mark.parametrize(("marker", "folder", "module", "blocks"), [
    ("webhook", "coffeechat-webhook", "coffeechat_webhook", 5),
    ("sms", "coffeechat-sms", "coffeechat_sms", 4),
])
def test_each_tutorial_is_its_example_plugin(marker: str, folder: str, module: str,
                                             blocks: int) -> None:
    text = (ROOT / "docs" / "plugins.md").read_text()
    example = ROOT / "examples" / folder
    code = _blocks_after(f"{marker}-plugin", text)
    assert len(code) == blocks
    source = (example / module / "__init__.py").read_text()
    assert _normal("\n\n".join(code)) == _normal(source)
    [pyproject] = _blocks_after(f"{marker}-pyproject", text)
    assert _normal(pyproject) == _normal((example / "pyproject.toml").read_text())


def test_the_guarantees_name_tests_that_exist() -> None:
    text = (ROOT / "docs" / "guarantees.md").read_text()
    named = set(re.findall(r"`(test_\w+\.py)`", text))
    assert len(named) >= 10
    missing = sorted(name for name in named if not (ROOT / "tests" / name).exists())
    assert not missing, f"docs/guarantees.md names tests that do not exist: {missing}"

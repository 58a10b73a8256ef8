"""The docs are checked: the CLI reference matches the code, examples in docs run."""

from __future__ import annotations

from pathlib import Path

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

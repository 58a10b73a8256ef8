"""Every example in examples/ runs, and shows what it promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_demo_story_records_and_shows_the_views(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COFFEECHAT_")}
    env.update(COFFEECHAT=str(Path(sys.executable).parent / "coffeechat"), TZ="UTC",
               TMPDIR=str(tmp_path))
    result = subprocess.run(["bash", str(ROOT / "examples" / "story.sh")], capture_output=True,
                            text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    for row in ("priya-raman  Priya Raman  Northwind      met",
                "dana-kim     Dana Kim     Fabrikam       asked",
                "sam-okafor   Sam Okafor   Tailspin Toys  scheduled",
                "tomás-silva  Tomás Silva  Contoso        prospect"):
        assert row in out
    due = out[out.index("DUE "):]
    kinds = [line.split()[4] for line in due.splitlines()[1:]]  # date, time, when (2 words)
    assert kinds == ["check-in", "nudge", "thank-you", "commitment", "prep",
                     "referral-outreach"]
    assert list(tmp_path.iterdir()) == []  # the temporary store is cleaned up

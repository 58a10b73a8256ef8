"""Helpers shared by the benchmark scripts: timing, medians, tables, JSON, subprocesses.

Not a test module and not part of the package: each script puts this folder on
``sys.path`` itself (``python bench/<name>.py``). The realistic data lives in
``history.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# -- timing ---------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def clock(func: Callable[[], object]) -> float:
    """Seconds that ``func()`` took on the wall clock."""
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def run_command(argv: Sequence[str], env: dict[str, str] | None = None) -> float:
    """Wall seconds of one command; its output is discarded, a failure stops the benchmark."""
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): "
                         f"{done.stderr.decode(errors='replace').strip()}")
    return elapsed


@dataclass
class ChildRun:
    seconds: float  # wall time of the whole child process
    max_rss_mb: float  # its peak resident set size
    stdout: str
    cpu_s: float = 0.0  # its CPU time, user + system (a busy machine inflates wall time only)


def run_child(argv: Sequence[str], env: dict[str, str] | None = None) -> ChildRun:
    """Run a child process and read its own peak RSS (``wait4``, not the sum of all children)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(argv, env=env, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(child.pid, 0)  # this child's own rusage
        elapsed = time.perf_counter() - start
        child.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if code != 0:
            raise SystemExit(f"{' '.join(argv)} failed ({code}): "
                             f"{err.read().decode(errors='replace').strip()}")
        # Linux reports ru_maxrss in KiB.
        return ChildRun(elapsed, usage.ru_maxrss / 1024, out.read().decode(),
                        usage.ru_utime + usage.ru_stime)


# -- output ---------------------------------------------------------------------


def interleaved(names: Sequence[str], rounds: int, seed: int,
                measure: Callable[[str, int], None]) -> None:
    """Call ``measure(name, round)`` for every name, ``rounds`` times, in an order shuffled
    each round (so noise on this busy machine hits every contender alike)."""
    import random

    order = list(names)
    shuffle = random.Random(seed)
    for n in range(rounds):
        shuffle.shuffle(order)
        for name in order:
            measure(name, n)
        print(f"  round {n + 1}/{rounds} done", file=sys.stderr, flush=True)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths, strict=True))))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_goals(goals: Sequence[tuple[str, bool]]) -> None:
    print()
    for text, ok in goals:
        print(f"{verdict(ok)}  {text}")


def emit_json(summary: dict[str, Any]) -> None:
    json.dump(summary, sys.stdout, indent=2)
    print()


def machine() -> dict[str, Any]:
    import platform

    return {"python": platform.python_version(), "cpus": os.cpu_count(),
            "platform": platform.platform()}


def contender(text: str) -> tuple[str, str]:
    """``LABEL=PYTHON`` or just ``PYTHON`` (labelled by its venv's folder)."""
    label, sep, python = text.partition("=")
    if not sep:
        python, label = text, Path(text).resolve().parent.parent.name
    if not Path(python).exists():
        raise argparse.ArgumentTypeError(f"no interpreter at {python}")
    return label, python

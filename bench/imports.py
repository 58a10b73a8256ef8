"""Imports and exports: a 10,000-row LinkedIn export, and the 1M-event log as JSON Lines.

- LinkedIn: `coffeechat import linkedin Connections.csv` on a fresh store (the
  whole command), then the same file again (nothing to record);
- JSONL: `coffeechat export jsonl --out FILE` of the 1M-event store made by
  `rebuild.py` (cached in the data folder), then `coffeechat import jsonl FILE`
  into an empty store.

    python bench/imports.py [--rows 10000] [--repeats 3] [--python PY] [--data DIR] [--json]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import emit_json, machine, median, print_goals, print_table
from history import cached_store

FIRST = ("Jane", "Raj", "Zoë", "Sam", "Li", "Ana", "Tom", "Mei", "Dana", "Priya", "Chris",
         "Tomás", "Aisha", "Kenji", "Olga", "Marcus", "Ines", "Noah", "Fatima", "Lars")
LAST = ("Doe", "Patel", "Ångström", "O'Brien", "Wei", "Silva", "Berg", "Chen", "Kim",
        "Raman", "Lee", "Nakamura", "Okafor", "Novak", "Haddad", "Jensen", "Moreau")
COMPANIES = ("Acme", "Globex", "Initech, Inc.", "Northwind", "Contoso", "Fabrikam",
             "Tailspin Toys", "Litware", "Wide World Importers", "Adventure Works")
ROLES = ("Software Engineer", "Staff Engineer, Platform", "Engineering Manager",
         "UX Researcher", "Product Designer", "Data Scientist", "Recruiter", "CTO")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def linkedin_csv(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    lines = ["Notes:", '"When exporting your connection data, you may notice that some of the '
             'email addresses are missing."', "",
             "First Name,Last Name,URL,Email Address,Company,Position,Connected On"]
    for n in range(rows):
        first, last = rng.choice(FIRST), f"{rng.choice(LAST)}{n}"
        email = f"{first.lower()}.{n}@example.com" if rng.random() < 0.15 else ""
        cells = [first, last, f"https://www.linkedin.com/in/{first.lower()}-{n}", email,
                 rng.choice(COMPANIES), rng.choice(ROLES),
                 f"{rng.randint(1, 28):02d} {rng.choice(MONTHS)} {rng.randint(2012, 2026)}"]
        lines.append(",".join(f'"{c}"' if "," in c or "'" in c else c for c in cells))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def env_for(db: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COFFEECHAT_")}
    env.update(COFFEECHAT_DB=str(db), COFFEECHAT_HOME=str(home),
               COFFEECHAT_NOW="2026-11-20T12:00:00Z", COFFEECHAT_LOAD_PLUGINS="")
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--data", type=Path, default=Path(
        os.environ.get("COFFEECHAT_BENCH_DATA", "/tmp/coffeechat-bench")))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    cmd = [args.python, "-m", "coffeechat"]
    big = cached_store(args.data, args.events, args.events // 10)
    times: dict[str, list[float]] = {"linkedin": [], "linkedin again": [], "export": [],
                                     "import": []}
    with tempfile.TemporaryDirectory(prefix="coffeechat-imports-bench-") as tmp:
        work = Path(tmp)
        csv_path = work / "Connections.csv"
        linkedin_csv(csv_path, args.rows)
        for n in range(args.repeats):
            env = env_for(work / f"li-{n}.db", work)
            times["linkedin"].append(timed([*cmd, "import", "linkedin", str(csv_path)], env))
            times["linkedin again"].append(
                timed([*cmd, "import", "linkedin", str(csv_path)], env))
            out = work / "log.jsonl"
            times["export"].append(timed([*cmd, "export", "jsonl", "--out", str(out)],
                                         env_for(big, work)))
            times["import"].append(timed([*cmd, "import", "jsonl", str(out)],
                                         env_for(work / f"copy-{n}.db", work)))
            for leftover in work.glob(f"copy-{n}.db*"):
                leftover.unlink()
            print(f"  round {n + 1}/{args.repeats} done", file=sys.stderr, flush=True)
    medians = {name: median(values) for name, values in times.items()}
    goals = [
        (f"import of {args.rows:,} LinkedIn rows ≤ 2 s: {medians['linkedin']:.2f} s",
         medians["linkedin"] <= 2.0),
        (f"re-import of the same file ≤ 1 s: {medians['linkedin again']:.2f} s",
         medians["linkedin again"] <= 1.0),
        (f"export of {args.events:,} events ≤ 10 s: {medians['export']:.2f} s",
         medians["export"] <= 10.0),
        (f"import of {args.events:,} events ≤ 10 s: {medians['import']:.2f} s",
         medians["import"] <= 10.0),
    ]
    if args.json:
        emit_json({"benchmark": "imports", "machine": machine(), "runs_s": times,
                   "goals": [{"goal": text, "pass": ok} for text, ok in goals]})
        return
    print(f"imports benchmark: {args.rows:,} LinkedIn rows, {args.events:,}-event log, "
          f"median of {args.repeats}, whole commands ({' '.join(cmd)})")
    print_table(["command", "median s", "min s", "max s"],
                [[name, medians[name], min(v), max(v)] for name, v in times.items()])
    print_goals(goals)


if __name__ == "__main__":
    main()

"""Wall time of CLI commands, run as a user runs them (the installed ``coffeechat`` script).

In one run, interleaved rounds (the order shuffled each round) of:

- the floor: ``python -c "import click, pluggy, msgspec, apsw"``;
- ``coffeechat --help`` (it must not load the recording machinery);
- ``coffeechat due --json`` on stores of 1k, 100k and 1M events (projections
  caught up beforehand, so the timed runs have nothing new to apply);
- ``coffeechat today --json`` and ``coffeechat reconnect --json`` on 100k events;
- ``coffeechat show CONTACT --json`` on 1k and 1M events (for contrast: its
  output does not grow with the log, while the due list does);
- ``coffeechat add NAME`` and ``coffeechat met CONTACT --notes ...`` on a copy
  of the 100k store (it grows by one event per command; each command also
  catches up the event the previous one recorded, as it would for a user).

    python bench/cli.py --python VENV/bin/python [--rounds 15] [--data DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    emit_json,
    interleaved,
    machine,
    median,
    print_goals,
    print_table,
    run_command,
)
from history import BENCH_NOW_TEXT, DEFAULT_DATA, cached_store

STORES = {"1k": (1_000, 100), "100k": (100_000, 10_000), "1M": (1_000_000, 100_000)}
FLOOR = "import click, pluggy, msgspec, apsw"
NOTES = ("Talked about moving from support into SRE; suggested the Google SRE book, "
         "offered to review my resume, and mentioned their team is hiring in spring.")

# Run with the benchmarked interpreter: is nothing left for the projections to apply?
CURRENT_CHECK = """
import sys
from coffeechat.store import open_store
from coffeechat.projections import is_current
store = open_store(sys.argv[1])
sys.exit(0 if is_current(store.conn) else 3)
"""


def coffeechat_command(python: str) -> list[str]:
    """The console script installed next to ``python``, else ``python -m coffeechat``."""
    script = Path(python).parent / "coffeechat"
    return [str(script)] if script.exists() else [python, "-m", "coffeechat"]


def env_for(db: Path, home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(COFFEECHAT_DB=str(db), COFFEECHAT_HOME=str(home),
               COFFEECHAT_NOW=BENCH_NOW_TEXT)
    return env


def is_current(python: str, env: dict[str, str]) -> bool:
    done = subprocess.run([python, "-c", CURRENT_CHECK, env["COFFEECHAT_DB"]], env=env,
                          check=False)
    return done.returncode == 0


def due_items(cmd: list[str], env: dict[str, str]) -> int:
    out = subprocess.run([*cmd, "due", "--json"], env=env, check=True, capture_output=True)
    return len(json.loads(out.stdout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter of the venv to measure (its coffeechat script is used)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="where generated stores are cached")
    parser.add_argument("--seed", type=int, default=7, help="shuffles the order in each round")
    parser.add_argument("--json", action="store_true", help="print a JSON summary instead")
    args = parser.parse_args()

    cmd = coffeechat_command(args.python)
    stores = {name: cached_store(args.data, *size) for name, size in STORES.items()}
    with tempfile.TemporaryDirectory(prefix="coffeechat-cli-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        record_db = Path(tmp) / "record.db"
        from coffeechat.store import open_store

        source = open_store(stores["100k"])
        try:
            source.backup(record_db)
        finally:
            source.close()
        envs = {name: env_for(path, home) for name, path in stores.items()}
        record_env = env_for(record_db, home)

        # Warm up: catch every store's projections up (a first full build can take a
        # while on 1M events) and put the files in the page cache.
        items = {}
        for name, env in envs.items():
            print(f"catching up the {name} store ...", file=sys.stderr, flush=True)
            run_command([*cmd, "due", "--json"], env)
            items[name] = due_items(cmd, env)
            if not is_current(args.python, env):
                raise SystemExit(f"the {name} store is still behind after `due`")
        run_command([*cmd, "add", "Warm Up"], record_env)
        run_command([*cmd, "met", "person-0", "--notes", NOTES], record_env)

        commands = {
            "floor (python -c import ...)": lambda n: ([args.python, "-c", FLOOR], None),
            "--help": lambda n: ([*cmd, "--help"], envs["1k"]),
            "due --json, 1k events": lambda n: ([*cmd, "due", "--json"], envs["1k"]),
            "due --json, 100k events": lambda n: ([*cmd, "due", "--json"], envs["100k"]),
            "due --json, 1M events": lambda n: ([*cmd, "due", "--json"], envs["1M"]),
            # The same output size on both: what a read costs, whatever the log's size.
            "due --json --limit 20, 1k events": lambda n: (
                [*cmd, "due", "--json", "--limit", "20"], envs["1k"]),
            "due --json --limit 20, 1M events": lambda n: (
                [*cmd, "due", "--json", "--limit", "20"], envs["1M"]),
            # The day's digest: the due query, meetings, birthdays and the reconnect top 3.
            "today --json, 100k events": lambda n: ([*cmd, "today", "--json"], envs["100k"]),
            "reconnect --json, 100k events": lambda n: (
                [*cmd, "reconnect", "--json"], envs["100k"]),
            # Not a goal: a read whose output does not grow with the log, for contrast.
            "show CONTACT --json, 1k events": lambda n: (
                [*cmd, "show", f"person-{n % 100}", "--json"], envs["1k"]),
            "show CONTACT --json, 1M events": lambda n: (
                [*cmd, "show", f"person-{n % 100}", "--json"], envs["1M"]),
            "add NAME (100k store)": lambda n: ([*cmd, "add", f"Bench Person {n}"],
                                                record_env),
            "met CONTACT --notes (100k store)": lambda n: (
                [*cmd, "met", f"person-{n + 1}", "--notes", NOTES], record_env),
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        interleaved(list(commands), args.rounds, args.seed,
                    lambda name, n: times[name].append(run_command(*commands[name](n))))
        still_current = {name: is_current(args.python, env) for name, env in envs.items()}

    floor = median(times["floor (python -c import ...)"])
    medians = {name: median(values) for name, values in times.items()}

    def ratio(name: str) -> float:
        return medians[name] / floor

    due_1k, due_100k, due_1m = (medians[f"due --json, {s} events"] for s in ("1k", "100k", "1M"))
    limited_1k, limited_1m = (medians[f"due --json --limit 20, {s} events"] for s in ("1k", "1M"))
    goals = [
        (f"--help ≤ 1.2× floor: {ratio('--help'):.2f}×", ratio("--help") <= 1.2),
        (f"due on 100k ≤ 1.3× floor: {ratio('due --json, 100k events'):.2f}×",
         ratio("due --json, 100k events") <= 1.3),
        (f"due on 1M ≤ 1.2× due on 1k: {due_1m / due_1k:.2f}× "
         f"(their due lists differ in size: {items['1M']:,} vs {items['1k']:,} items)",
         due_1m <= 1.2 * due_1k),
        (f"due --limit 20 on 1M ≤ 1.2× on 1k (same output): {limited_1m / limited_1k:.2f}×",
         limited_1m <= 1.2 * limited_1k),
        (f"today on 100k ≤ 1.5× floor: {ratio('today --json, 100k events'):.2f}×",
         ratio("today --json, 100k events") <= 1.5),
        (f"reconnect on 100k ≤ 1.5× floor: {ratio('reconnect --json, 100k events'):.2f}×",
         ratio("reconnect --json, 100k events") <= 1.5),
        (f"add ≤ 1.5× floor: {ratio('add NAME (100k store)'):.2f}×",
         ratio("add NAME (100k store)") <= 1.5),
        (f"met ≤ 1.5× floor: {ratio('met CONTACT --notes (100k store)'):.2f}×",
         ratio("met CONTACT --notes (100k store)") <= 1.5),
    ]
    if args.json:
        emit_json({"benchmark": "cli", "machine": machine(), "python": args.python,
                   "command": cmd, "rounds": args.rounds, "due_items": items,
                   "stores_stayed_current": still_current,
                   "commands": {name: {"median_s": medians[name], "ratio_to_floor": ratio(name),
                                       "runs_s": times[name]} for name in commands},
                   "due_1m_over_1k": due_1m / due_1k, "due_100k_over_1k": due_100k / due_1k,
                   "goals": [{"goal": text, "pass": ok} for text, ok in goals]})
        return
    print(f"CLI benchmark: {' '.join(cmd)}, {args.rounds} interleaved rounds, "
          f"COFFEECHAT_NOW={BENCH_NOW_TEXT}")
    print_table(["command", "median ms", "min ms", "max ms", "× floor"],
                [[name, 1000 * medians[name], 1000 * min(v), 1000 * max(v),
                  f"{ratio(name):.2f}×"] for name, v in times.items()])
    print("due items printed: " + ", ".join(f"{k} store {v:,}" for k, v in items.items()))
    if not all(still_current.values()):
        print(f"WARNING: a store was not current after the rounds: {still_current}")
    print_goals(goals)


if __name__ == "__main__":
    main()

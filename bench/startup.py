"""Start-up cost of the everyday commands, for one or more installs side by side.

Each contender is a venv with coffeechat installed (its ``coffeechat`` script is
run, as a user runs it). In one run, interleaved rounds (shuffled each round) of:

- the floor: ``python -c "import click, pluggy, msgspec, apsw"``;
- per contender: ``--help``; ``add NAME`` and ``met CONTACT --notes ...`` on its
  own copy of the 100k-event store (each command also catches up the event the
  previous one recorded, as it would for a user); ``due --json`` and
  ``today --json`` on another copy, caught up before the rounds (checked again
  after them), so these runs have nothing to apply.

Every contender has its own store copies and home: a store remembers the plugin
environment it was projected with, and two installs differ in it. Wall and CPU
time (user + system, of the child alone) are reported as medians and as ratios
to the floor; ``--modules`` also lists, per command, the modules it imports
beyond the floor's (``-X importtime``, one extra run each).

    python bench/startup.py --python after=AFTER_VENV/bin/python \\
        [--python before=BEFORE_VENV/bin/python] [--rounds 15] [--modules] [--json]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cli import CURRENT_CHECK, FLOOR, NOTES, coffeechat_command, env_for  # noqa: I001
from common import (
    contender,
    emit_json,
    interleaved,
    machine,
    median,
    print_goals,
    print_table,
    run_child,
)
from history import DEFAULT_DATA, cached_store

# command → its goal as a ratio of wall time to the floor's (issue 13)
GOALS = {"--help": 1.2, "add": 1.5, "met": 1.5, "due --json": 1.3, "today --json": 1.5}


# Runs a command (or the floor's imports) and writes the names in sys.modules at exit
# to the file named by argv[1]. (-X importtime misses what importlib.import_module
# loads, as the CLI's lazy commands are.)
MODULES_AT_EXIT = """
import atexit, sys
out, sys.argv = sys.argv[1], sys.argv[2:]
atexit.register(lambda: open(out, "w").write("\\n".join(sorted(sys.modules))))
if sys.argv[0] == "-c":
    exec(sys.argv[1])
else:
    from coffeechat.cli.main import main
    main()
"""


def imported(python: str, argv: list[str], env: dict[str, str] | None) -> set[str]:
    """The modules loaded by the end of ``coffeechat ARGV`` (or of ``-c CODE``)."""
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as out:
        subprocess.run([python, "-c", MODULES_AT_EXIT, out.name, *argv], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return set(out.read().split())


Run = Callable[[int], tuple[list[str], "dict[str, str] | None"]]  # round → (argv, env)


def fixed(argv: list[str], env: dict[str, str] | None) -> Run:
    return lambda _n: (argv, env)


def varied(cmd: list[str], name: str, argument: str, env: dict[str, str], *rest: str) -> Run:
    """A recording command whose CONTACT/NAME argument changes with the round."""
    return lambda n: ([*cmd, name, argument.format(n=n, n1=n + 1), *rest], env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", dest="contenders", type=contender, action="append",
                        metavar="[LABEL=]PYTHON", help="a venv's interpreter (repeatable)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="where generated stores are cached")
    parser.add_argument("--seed", type=int, default=7, help="shuffles the order in each round")
    parser.add_argument("--modules", action="store_true",
                        help="also list the modules each command imports beyond the floor")
    parser.add_argument("--json", action="store_true", help="print a JSON summary instead")
    args = parser.parse_args()
    contenders = args.contenders or [("this", sys.executable)]
    source = cached_store(args.data, 100_000, 10_000)

    with tempfile.TemporaryDirectory(prefix="coffeechat-startup-") as tmp:
        from coffeechat.store import open_store

        runs: dict[str, Run] = {}
        floor_python = contenders[0][1]
        runs["floor"] = fixed([floor_python, "-c", FLOOR], None)
        read_envs: dict[str, tuple[str, dict[str, str]]] = {}
        for label, python in contenders:
            folder = Path(tmp) / re.sub(r"\W", "_", label)
            (folder / "home").mkdir(parents=True)
            original = open_store(source)
            try:
                for name in ("read.db", "record.db"):
                    original.backup(folder / name)
            finally:
                original.close()
            cmd = coffeechat_command(python)
            read_env = env_for(folder / "read.db", folder / "home")
            record_env = env_for(folder / "record.db", folder / "home")
            print(f"{label}: catching up its stores ...", file=sys.stderr, flush=True)
            run_child([*cmd, "due", "--json"], read_env)
            run_child([*cmd, "add", "Warm Up"], record_env)
            run_child([*cmd, "met", "person-0", "--notes", NOTES], record_env)
            read_envs[label] = (python, read_env)

            runs[f"{label}: --help"] = fixed([*cmd, "--help"], read_env)
            runs[f"{label}: add"] = varied(cmd, "add", "Bench Person {n}", record_env)
            runs[f"{label}: met"] = varied(cmd, "met", "person-{n1}", record_env,
                                           "--notes", NOTES)
            runs[f"{label}: due --json"] = fixed([*cmd, "due", "--json"], read_env)
            runs[f"{label}: today --json"] = fixed([*cmd, "today", "--json"], read_env)

        def current(label: str) -> bool:
            python, env = read_envs[label]
            return subprocess.run([python, "-c", CURRENT_CHECK, env["COFFEECHAT_DB"]],
                                  env=env, check=False).returncode == 0

        behind = [label for label in read_envs if not current(label)]
        if behind:
            raise SystemExit(f"still behind after `due`: {behind}")
        wall: dict[str, list[float]] = {name: [] for name in runs}
        cpu: dict[str, list[float]] = {name: [] for name in runs}

        def measure(name: str, n: int) -> None:
            child = run_child(*runs[name](n))
            wall[name].append(child.seconds)
            cpu[name].append(child.cpu_s)

        interleaved(list(runs), args.rounds, args.seed, measure)
        stayed_current = {label: current(label) for label in read_envs}
        modules: dict[str, list[str]] = {}
        if args.modules:
            floor_modules = imported(floor_python, ["-c", FLOOR], None)
            pythons = dict(contenders)
            for name, make in runs.items():
                if name != "floor":
                    argv, env = make(args.rounds)
                    python = pythons[name.partition(": ")[0]]
                    modules[name] = sorted(imported(python, ["coffeechat", *argv[1:]], env)
                                           - floor_modules)

    floor_wall, floor_cpu = median(wall["floor"]), median(cpu["floor"])
    rows, goals, summary = [], [], {}
    for name in runs:
        w, c = median(wall[name]), median(cpu[name])
        rows.append([name, 1000 * w, 1000 * min(wall[name]), 1000 * c,
                     f"{w / floor_wall:.2f}×", f"{c / floor_cpu:.2f}×"]
                    + ([len(modules[name])] if name in modules else ([0] if modules else [])))
        summary[name] = {"median_s": w, "cpu_median_s": c, "ratio_to_floor": w / floor_wall,
                         "cpu_ratio_to_floor": c / floor_cpu, "runs_s": wall[name]}
        if name in modules:
            summary[name]["modules_beyond_floor"] = modules[name]
        command = name.partition(": ")[2]
        if command in GOALS:
            goals.append((f"{name} ≤ {GOALS[command]}× floor: {w / floor_wall:.2f}× "
                          f"(CPU {c / floor_cpu:.2f}×)", w / floor_wall <= GOALS[command]))
    if args.json:
        emit_json({"benchmark": "startup", "machine": machine(), "rounds": args.rounds,
                   "contenders": dict(contenders), "stores_stayed_current": stayed_current,
                   "commands": summary, "goals": [{"goal": t, "pass": ok} for t, ok in goals]})
        return
    print(f"Start-up: {args.rounds} interleaved rounds; floor = python -c \"{FLOOR}\"")
    print_table(["command", "median ms", "min ms", "CPU ms", "× floor", "CPU × floor"]
                + (["modules beyond floor"] if modules else []), rows)
    if not all(stayed_current.values()):
        print(f"WARNING: a read store was not current after the rounds: {stayed_current}")
    for name, names in modules.items():
        ours = [m for m in names if m.startswith("coffeechat")]
        print(f"\n{name}: {len(names)} modules beyond the floor, {len(ours)} of coffeechat:\n  "
              + " ".join(m.removeprefix("coffeechat.") for m in ours)
              + "\n  others: " + " ".join(m for m in names if not m.startswith("coffeechat")))
    print_goals(goals)


if __name__ == "__main__":
    main()

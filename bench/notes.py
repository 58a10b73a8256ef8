"""The notes folder: first scan of a big folder, and save-to-view latency of `watch`.

- first scan: `coffeechat watch NOTES --once` on a fresh store over a folder of
  N notes (default 2,000: a contact note per person plus asks, meetings with
  takeaways, referrals and commitments, and plain notes), wall time of the
  whole command, median of several fresh stores;
- latency: `coffeechat watch NOTES` running on that folder; each round saves a
  new meeting note whose commitment text is unique, and times from the save
  until `_coffeechat/due.md` on disk shows it (polled every 2 ms).

    python bench/notes.py [--notes 2000] [--rounds 40] [--python PY] [--json]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import emit_json, machine, median, print_goals, print_table

NOW = "2026-11-20T12:00:00Z"


def write_folder(folder: Path, notes: int) -> None:
    """``notes`` notes: one contact note per four notes, the rest about those people."""
    people = max(1, notes // 4)
    for n in range(people):
        (folder / "people").mkdir(parents=True, exist_ok=True)
        (folder / "people" / f"person-{n}.md").write_text(
            f"---\ntype: contact\ncontact: Person {n:05d}\ncompany: Company {n % 97}\n"
            f"role: Engineer\ndate: 2026-09-01\ntags: [bench]\n---\nMet at event {n % 13}.\n")
    kinds = ("ask", "meeting", "note")
    for n in range(notes - people):
        who = f"Person {n % people:05d}"
        kind = kinds[n % 3]
        day = 1 + n % 28
        month = "10"
        (folder / month).mkdir(exist_ok=True)
        if kind == "meeting":
            body = (f"---\ntype: meeting\ncontact: {who}\ndate: 2026-{month}-{day:02d} 15:00\n"
                    "takeaways:\n  - ship one end-to-end project\n"
                    f"commitments:\n  - text: send the deck to {who}\n"
                    f"    due: 2026-{month}-{min(day + 3, 28):02d}\n---\nTalked about hiring.\n")
        elif kind == "ask":
            body = f"---\ntype: ask\ncontact: {who}\ndate: 2026-{month}-{day:02d} 09:00\n---\n"
        else:
            body = f"---\ncontact: {who}\ndate: 2026-{month}-{day:02d} 18:00\n---\nA thought.\n"
        (folder / month / f"note-{n:05d}.md").write_text(body)


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COFFEECHAT_")}
    env.update(COFFEECHAT_HOME=str(home), COFFEECHAT_DB=str(home / "store.db"),
               COFFEECHAT_NOW=NOW, COFFEECHAT_LOAD_PLUGINS="", TZ="UTC")
    return env


def first_scan(cmd: list[str], source: Path, work: Path, repeats: int) -> list[float]:
    times = []
    for n in range(repeats):
        home = work / f"scan-{n}"
        folder = home / "notes"
        shutil.copytree(source, folder)
        start = time.perf_counter()
        subprocess.run([*cmd, "watch", str(folder), "--once"], env=env_for(home), check=True,
                       stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
        print(f"  first scan {n + 1}/{repeats}: {times[-1]:.2f} s", file=sys.stderr, flush=True)
    return times


def latency(cmd: list[str], source: Path, work: Path, rounds: int) -> list[float]:
    home = work / "live"
    folder = home / "notes"
    shutil.copytree(source, folder)
    env = env_for(home)
    subprocess.run([*cmd, "watch", str(folder), "--once"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    due = folder / "_coffeechat" / "due.md"
    log = open(work / "watch.log", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen([*cmd, "watch", str(folder)], env=env,
                            stdout=subprocess.DEVNULL, stderr=log)
    try:
        time.sleep(2.0)  # the watcher's own first scan (nothing new) settles
        times = []
        for n in range(rounds):
            marker = f"bench marker {n:04d}"
            note = (f"---\ntype: meeting\ncontact: Person {n:05d}\ndate: 2026-11-19 10:00\n"
                    f"commitments:\n  - text: {marker}\n    due: 2026-11-25\n---\n")
            path = folder / "11" / f"live-{n:04d}.md"
            path.parent.mkdir(exist_ok=True)
            start = time.perf_counter()
            path.write_text(note)
            while True:
                try:
                    if marker in due.read_text():
                        break
                except OSError:
                    pass
                if time.perf_counter() - start > 10:
                    raise SystemExit(f"round {n}: due.md never showed the note; the watcher "
                                     f"said:\n{(work / 'watch.log').read_text()}")
                time.sleep(0.002)
            times.append(time.perf_counter() - start)
            time.sleep(0.1)
        return times
    finally:
        proc.terminate()
        proc.wait()
        log.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    cmd = [args.python, "-m", "coffeechat"]
    with tempfile.TemporaryDirectory(prefix="coffeechat-notes-bench-") as tmp:
        work = Path(tmp)
        source = work / "source"
        source.mkdir()
        write_folder(source, args.notes)
        scans = first_scan(cmd, source, work, args.repeats)
        waits = latency(cmd, source, work, args.rounds)
    scan_median = median(scans)
    wait_median, wait_p95 = median(waits), percentile(waits, 0.95)
    goals = [
        (f"save → due.md median ≤ 300 ms: {1000 * wait_median:.0f} ms", wait_median <= 0.3),
        (f"save → due.md p95 ≤ 1 s: {1000 * wait_p95:.0f} ms", wait_p95 <= 1.0),
        (f"first scan of {args.notes:,} notes ≤ 3 s: {scan_median:.2f} s", scan_median <= 3.0),
    ]
    if args.json:
        emit_json({"benchmark": "notes", "machine": machine(), "notes": args.notes,
                   "first_scan_s": scans, "latency_s": waits,
                   "goals": [{"goal": text, "pass": ok} for text, ok in goals]})
        return
    print(f"notes benchmark: {args.notes:,} notes, {args.rounds} saves, {' '.join(cmd)}")
    print_table(["measure", "median ms", "p95 ms", "min ms", "max ms"],
                [["first scan (watch --once, whole command)", 1000 * scan_median,
                  1000 * percentile(scans, 0.95), 1000 * min(scans), 1000 * max(scans)],
                 ["save → due.md updated", 1000 * wait_median, 1000 * wait_p95,
                  1000 * min(waits), 1000 * max(waits)]])
    print_goals(goals)


if __name__ == "__main__":
    main()

"""`stats` and `report` on the 100k-event store, and what report.html adds to a views refresh.

Interleaved rounds of, each as a user runs it (the installed script, its own process):

- ``coffeechat stats --json`` and ``coffeechat report --out FILE`` (the size of FILE too);
- one refresh of the views of ``watch`` on the same store, in this process: the
  Markdown views alone (the contact pages of one touched contact, as after a
  save) against the same with ``report.html``.

    python bench/report.py --python VENV/bin/python [--rounds 5] [--data DIR] [--json]

Goals: report ≤ 3 s and ≤ 5 MB on 100k events.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import emit_json, machine, median, print_goals, print_table, run_command
from history import BENCH_NOW_TEXT, DEFAULT_DATA, cached_store

REFRESH = """
import sys, time
from coffeechat.store import open_store
from coffeechat.views import ViewContext
from coffeechat.plugins.markdown_views import BUILTIN_VIEWS
from coffeechat.plugins.notes_watch import ViewWriter
import coffeechat.plugins.html_report as report

store = open_store(sys.argv[1])
now = sys.argv[3]
pages = {store.conn.execute("SELECT id FROM contacts ORDER BY id LIMIT 1").fetchone()[0]}
views = dict(BUILTIN_VIEWS)
if sys.argv[4] == "markdown":
    views.pop("report")
writer = ViewWriter(sys.argv[2], views)
writer.write(ViewContext(store, "main", now, [], None))  # the first, whole render (not timed)
report._LAST.clear()  # (as when the last render was long ago)
writer.written.clear()
start = time.perf_counter()
writer.write(ViewContext(store, "main", now, [], pages))
print(time.perf_counter() - start)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter of the venv to measure (its coffeechat script is used)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    script = Path(args.python).parent / "coffeechat"
    cmd = [str(script)] if script.exists() else [args.python, "-m", "coffeechat"]
    source = cached_store(args.data, 100_000, 10_000)
    with tempfile.TemporaryDirectory() as work:
        home = Path(work)
        db = home / "store.db"
        shutil.copyfile(source, db)
        env = dict(os.environ, COFFEECHAT_DB=str(db), COFFEECHAT_HOME=str(home),
                   COFFEECHAT_NOW=BENCH_NOW_TEXT, COFFEECHAT_LOAD_PLUGINS="")
        out = home / "report.html"
        run_command([*cmd, "due", "--json"], env)  # catch the projections up, untimed
        runs: dict[str, list[float]] = {"stats --json": [], "report": [],
                                        "views refresh, Markdown only": [],
                                        "views refresh, with report.html": []}

        def refresh(kind: str) -> float:
            views = home / f"views-{kind}"
            done = subprocess.run([args.python, "-c", REFRESH, str(db), str(views),
                                   BENCH_NOW_TEXT, kind], env=env, check=True,
                                  capture_output=True, text=True)
            return float(done.stdout.strip())

        jobs = {
            "stats --json": lambda: run_command([*cmd, "stats", "--json"], env),
            "report": lambda: run_command([*cmd, "report", "--out", str(out)], env),
            "views refresh, Markdown only": lambda: refresh("markdown"),
            "views refresh, with report.html": lambda: refresh("report"),
        }
        for n in range(args.rounds):
            order = list(jobs)
            random.shuffle(order)
            for name in order:
                runs[name].append(jobs[name]())
            print(f"round {n + 1}/{args.rounds}", file=sys.stderr)
        size = out.stat().st_size
    seconds = {name: median(values) for name, values in runs.items()}
    summary = {"machine": machine(), "events": 100_000, "median_seconds": seconds,
               "report_bytes": size, "rounds": args.rounds}
    if args.json:
        emit_json(summary)
        return
    print_table(["what (100k events)", "median s", "best s"],
                [[name, f"{seconds[name]:.2f}", f"{min(runs[name]):.2f}"] for name in runs])
    print(f"report.html: {size / 1024:,.0f} KB")
    added = seconds["views refresh, with report.html"] - seconds["views refresh, Markdown only"]
    print(f"report.html adds {added:.2f} s to a views refresh (then at most one every "
          f"~{10 * added:.0f} s while notes change)")
    print_goals([("report ≤ 3 s", seconds["report"] <= 3.0),
                 ("report ≤ 5 MB", size <= 5 * 1024 * 1024)])


if __name__ == "__main__":
    main()

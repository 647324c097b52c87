"""Before and after: two checkouts of reportgen timed against the physical floor in one interleaved run.

Usage: python bench/compare.py BEFORE_CHECKOUT [--after CHECKOUT] [--sizes example,10000,100000] [--repeat 5]
       [--work DIR]

Each checkout's `reportgen build` runs as a fresh process (`python -m reportgen` with the checkout
first on PYTHONPATH, bytecode caches as users have them), beside this checkout's physical floor
(bench/physical_floor.py), every size and command once per round in a rotating order, so a busy
machine slows them alike. Prints the median seconds and each checkout's ratio to the floor: what
"no slowdown" means for a change that should not make reportgen slower (a restructure, say).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import workbooks  # noqa: E402
from run import REPO, TEMPLATE, folder_of, load_average, measure  # noqa: E402


def _build(checkout: Path, folder: Path, out: Path) -> list[str]:
    code = f"import sys; sys.path.insert(0, {str(checkout)!r}); from reportgen.cli import run; sys.exit(run())"
    return [sys.executable, "-c", code, "build", str(folder), "--template", str(TEMPLATE), "-o", str(out)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="the other checkout (e.g. a `git worktree` at the old commit)")
    parser.add_argument("--after", type=Path, default=REPO, help="the checkout to compare it with (default: this one)")
    parser.add_argument("--sizes", default="example,10000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    sizes: list[int | str] = [s if s == "example" else int(s) for s in args.sizes.split(",")]
    work = args.work or Path(tempfile.mkdtemp(prefix="reportgen-compare-"))
    for rows in sizes:
        if rows != "example":
            workbooks.write(work / f"rows-{rows}" / "book.xlsx", rows)
    checkouts = {"before": args.before.resolve(), "after": args.after.resolve()}
    jobs = {}
    for rows in sizes:
        folder = folder_of(work, rows)
        for name, checkout in checkouts.items():
            jobs[f"{name}-{rows}"] = _build(checkout, folder, work / f"{name}-{rows}.docx")
        jobs[f"floor-{rows}"] = [sys.executable, str(HERE / "physical_floor.py"), str(folder), str(TEMPLATE),
                                 str(work / f"floor-{rows}.docx")]
    for command in jobs.values():  # once, unmeasured: caches warm, failures seen early
        measure(command, work)
    times: dict[str, list[float]] = {key: [] for key in jobs}
    keys = list(jobs)
    print(f"load average before: {load_average()}", file=sys.stderr)
    for round_ in range(args.repeat):
        for key in keys[round_ % len(keys):] + keys[:round_ % len(keys)]:
            times[key].append(measure(jobs[key], work)[0])
    print(f"load average after: {load_average()}", file=sys.stderr)
    print(f"| rows | floor | before | after | before / floor | after / floor |  (median of {args.repeat}, "
          f"{os.cpu_count()} CPUs)")
    print("|---|---|---|---|---|---|")
    for rows in sizes:
        floor, before, after = (statistics.median(times[f"{name}-{rows}"])
                                for name in ("floor", "before", "after"))
        print(f"| {rows} | {floor:.3f} s | {before:.3f} s | {after:.3f} s | "
              f"{before / floor:.2f}× | {after / floor:.2f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: reportgen build against the floors and docxtpl, interleaved, in one run.

Usage: python bench/run.py [--sizes example,10000,100000] [--repeat 5] [--work DIR] [--check]

A size is a number of rows (a generated workbook: half activities, half visits) or `example`
(the shipped workbook in inputs/). Checks that the four tools write the same paragraphs, then
times each as a fresh process: wall time and peak RSS, median of `--repeat` runs with min and
max. Runs are interleaved (every size and tool once per round, in a rotating order) so that a
busy machine slows all of them alike. Also times `reportgen --version`, `--help` and `validate`
of the example, and `validate` against `validate --report` at the largest size up to 10,000
rows. Prints a Markdown table and the targets of issues 24 and 14; `--check` exits 1 when a
target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import workbooks  # noqa: E402

TEMPLATE = REPO / "templates" / "report.docx"
EXAMPLE = REPO / "inputs"
BASELINE = "import docx, openpyxl, pydantic, jinja2"
TOOLS = ("reportgen", "physical", "floor", "docxtpl")
QUICK = 0.15  # seconds: --version, --help and validate of the example (issue 24)



@dataclass
class Runs:
    wall: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)  # peak resident set, KiB

    def add(self, wall: float, rss: int) -> None:
        self.wall.append(wall)
        self.rss.append(rss)

    @property
    def time(self) -> float:
        return statistics.median(self.wall)

    @property
    def memory(self) -> float:
        return statistics.median(self.rss)


def child_env() -> dict[str, str]:
    """As a user runs it: bytecode caches are written once and reused."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


# Peak RSS is read by a small wrapper process: Linux counts a child's pre-exec copy of its
# parent in the child's maxrss, so measured from this (large) runner every tool would look alike.
GNU_TIME = Path("/usr/bin/time")
WRAPPER = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[2:]); "
           "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)); "
           "sys.exit(code)")


def measure(command: list[str], cwd: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one fresh process."""
    with tempfile.TemporaryDirectory() as temp:
        rss_file, errors_file = Path(temp) / "rss", Path(temp) / "errors"
        if GNU_TIME.exists():
            wrapped = [str(GNU_TIME), "-q", "-f", "%M", "-o", str(rss_file), *command]
        else:
            wrapped = [sys.executable, "-c", WRAPPER, str(rss_file), *command]
        with errors_file.open("wb") as errors:
            start = time.perf_counter()
            code = subprocess.call(wrapped, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors, env=child_env())
            wall = time.perf_counter() - start
        if code != 0:
            sys.exit(f"failed ({code}): {' '.join(command)}\n" + errors_file.read_text(errors="replace"))
        rss = int(rss_file.read_text().split()[-1])
    return wall, rss // 1024 if sys.platform == "darwin" and not GNU_TIME.exists() else rss


def reportgen_command() -> list[str]:
    script = shutil.which("reportgen")
    return [script] if script else [sys.executable, "-m", "reportgen"]


def folder_of(work: Path, rows: int | str) -> Path:
    return EXAMPLE if rows == "example" else work / f"rows-{rows}"


def commands(work: Path, rows: int | str) -> dict[str, list[str]]:
    folder = folder_of(work, rows)
    return {
        "reportgen": [*reportgen_command(), "build", str(folder), "--template", str(TEMPLATE),
                      "-o", str(work / f"reportgen-{rows}.docx")],
        "physical": [sys.executable, str(HERE / "physical_floor.py"), str(folder), str(TEMPLATE),
                     str(work / f"physical-{rows}.docx")],
        "floor": [sys.executable, str(HERE / "floor.py"), str(folder), str(TEMPLATE),
                  str(work / f"floor-{rows}.docx")],
        "docxtpl": [sys.executable, str(HERE / "alt_docxtpl.py"), str(folder),
                    str(work / "tagged.docx"), str(work / f"docxtpl-{rows}.docx")],
    }


def tagged_template(target: Path) -> None:
    """reportgen's Word template with the chapter written as docxtpl tags, paragraph by paragraph."""
    from docx import Document

    document = Document(str(TEMPLATE))
    body = document.element.body
    for child in list(body):
        if not child.tag.endswith("}sectPr"):
            body.remove(child)
    for style, text in (
        ("Heading 1", "{{ heading }}"),
        ("節內文", "{%p for sec in sections %}"),
        ("Heading 2", "{{ sec.heading }}"),
        ("節內文", "{%p for text in sec.body %}"),
        ("節內文", "{{ text }}"),
        ("節內文", "{%p endfor %}"),
        ("節內文", "{%p for item in sec.entries %}"),
        ("Heading 3", "{{ item.label }}\t{{ item.title }}"),
        ("項內文", "{%p for text in item.body %}"),
        ("項內文", "{{ text }}"),
        ("項內文", "{%p endfor %}"),
        ("節內文", "{%p endfor %}"),
        ("節內文", "{%p endfor %}"),
    ):
        document.add_paragraph(text, style=style)
    document.save(str(target))


def paragraphs(path: Path) -> list[str]:
    """Each paragraph's text; a tab after a label is layout (reportgen lines up unequal labels)."""
    from docx import Document

    return [p.text.replace("\t", "") for p in Document(str(path)).paragraphs]


def prepare(work: Path, sizes: list[int | str]) -> None:
    """Workbooks and the tagged template; then one run of each tool, whose outputs must agree.

    The generated workbooks hold clean text, so all four write the very same paragraphs. The
    shipped example shows off normalization (a pasted line break, full-width digits, 線上): there
    the three others write the same paragraphs as each other and as many as reportgen, and
    differ from reportgen only where it normalizes.
    """
    for stale in work.glob("report-*.xlsx"):  # a report of an earlier version is kept unless --force
        stale.unlink()
    for rows in sizes:
        if rows != "example":
            workbooks.write(work / f"rows-{rows}" / "book.xlsx", rows)
    tagged_template(work / "tagged.docx")
    for rows in sizes:
        for command in commands(work, rows).values():
            measure(command, work)
        texts = {tool: paragraphs(work / f"{tool}-{rows}.docx") for tool in TOOLS}
        mine = texts.pop("reportgen")
        if rows == "example":
            same = all(len(found) == len(mine) for found in texts.values()) and \
                all(found == texts["physical"] for found in texts.values())
            detail = f"{sum(a != b for a, b in zip(mine, texts['physical'], strict=True))} normalized by reportgen"
        else:
            same = all(found == mine for found in texts.values())
            detail = "identical in all four outputs"
        if not same:
            sys.exit(f"{label(rows)}: the outputs differ; the comparison would be unfair.")
        print(f"{label(rows):>8}: {len(mine):,} paragraphs, {detail}", file=sys.stderr)


def label(rows: int | str) -> str:
    return "example" if rows == "example" else f"{rows:,} rows"


def run(work: Path, sizes: list[int | str], repeat: int) -> dict[str, Runs]:
    results: dict[str, Runs] = {}
    jobs = [("baseline", [sys.executable, "-c", BASELINE], work),
            ("version", [*reportgen_command(), "--version"], REPO),
            ("help", [*reportgen_command(), "--help"], REPO),
            ("validate-example", [*reportgen_command(), "validate"], REPO)]
    checked = validate_size(sizes)
    if checked:
        folder = str(work / f"rows-{checked}")
        jobs += [("validate", [*reportgen_command(), "validate", folder], work),
                 ("validate-report", [*reportgen_command(), "validate", folder, "--report",
                                      str(work / f"report-{checked}.xlsx")], work)]
    fixed = len(jobs)
    for rows in sizes:
        jobs += [(f"{tool}-{rows}", command, work) for tool, command in commands(work, rows).items()]
    for round_ in range(repeat):
        shift = round_ % len(TOOLS)  # rotate which tool goes first within each size
        ordered = jobs[:fixed]
        for start in range(fixed, len(jobs), len(TOOLS)):
            group = jobs[start:start + len(TOOLS)]
            ordered += group[shift:] + group[:shift]
        for name, command, cwd in ordered:
            results.setdefault(name, Runs()).add(*measure(command, cwd))
        print(f"round {round_ + 1}/{repeat} done", file=sys.stderr)
    return results


def validate_size(sizes: list[int | str]) -> int | None:
    """`validate` against `validate --report` is timed on the largest size up to 10,000 rows."""
    return max((rows for rows in sizes if isinstance(rows, int) and rows <= 10_000), default=None)


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def report(results: dict[str, Runs], sizes: list[int | str], repeat: int,
           load: tuple[str, str]) -> tuple[str, list[tuple[str, bool]]]:
    def cell(runs: Runs) -> str:
        return f"{runs.time:.2f} ({min(runs.wall):.2f}–{max(runs.wall):.2f})"

    def ms(runs: Runs) -> str:
        return f"{runs.time * 1000:.0f} ms ({min(runs.wall) * 1000:.0f}–{max(runs.wall) * 1000:.0f})"

    lines = [f"Machine: {machine()}; load average {load[0]} before the run, {load[1]} after.",
             f"Median of {repeat} runs (min–max), wall seconds; peak RSS in MB.", "",
             "| workbook | reportgen s | physical floor s | openpyxl floor s | docxtpl s "
             "| rg/physical floor | rg/docxtpl | rg/openpyxl floor "
             "| reportgen MB | physical MB | openpyxl floor MB | docxtpl MB | rg/openpyxl floor RSS |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    targets: list[tuple[str, bool]] = []
    for rows in sizes:
        rg, ph, fl, tpl = (results[f"{tool}-{rows}"] for tool in TOOLS)
        name = "the example (inputs/)" if rows == "example" else f"{rows:,} rows"
        lines.append(f"| {name} | {cell(rg)} | {cell(ph)} | {cell(fl)} | {cell(tpl)} "
                     f"| {rg.time / ph.time:.2f} | {rg.time / tpl.time:.2f} | {rg.time / fl.time:.2f} "
                     f"| {rg.memory / 1024:.0f} | {ph.memory / 1024:.0f} | {fl.memory / 1024:.0f} "
                     f"| {tpl.memory / 1024:.0f} | {rg.memory / fl.memory:.2f} |")
    base = results["baseline"]
    lines += ["", f"`python -c \"{BASELINE}\"`: {cell(base)} s, {base.memory / 1024:.0f} MB.",
              f"`reportgen --version` {ms(results['version'])}, `reportgen --help` {ms(results['help'])}, "
              f"`reportgen validate` of the example {ms(results['validate-example'])}."]
    # Issue 24: the fixed cost of a build.
    if "example" in sizes:
        rg, ph = results["reportgen-example"], results["physical-example"]
        targets.append((f"the example: {rg.time / ph.time:.2f}× the physical floor (≤ 2.5)",
                        rg.time <= 2.5 * ph.time))
    for rows in (10_000, 100_000):
        if rows in sizes:
            rg, ph, _, tpl = (results[f"{tool}-{rows}"] for tool in TOOLS)
            targets += [(f"{rows:,} rows: {rg.time / ph.time:.2f}× the physical floor (≤ 2.0)",
                         rg.time <= 2.0 * ph.time),
                        (f"{rows:,} rows: {rg.time / tpl.time:.2f}× docxtpl (≤ 0.5)", rg.time <= 0.5 * tpl.time)]
    for name, what in (("version", "`reportgen --version`"), ("help", "`reportgen --help`"),
                       ("validate-example", "`reportgen validate` of the example")):
        targets.append((f"{what}: {results[name].time:.3f} s (< {QUICK})", results[name].time < QUICK))
    # Issue 14's, kept so that they stay met.
    if 10_000 in sizes and 100_000 in sizes:
        ratio = results["reportgen-100000"].time / results["reportgen-10000"].time
        targets.append((f"100,000 rows take {ratio:.2f}× the time of 10,000 (≤ 10.5; issue 14)", ratio <= 10.5))
    if 100_000 in sizes:
        ratio = results["reportgen-100000"].memory / results["floor-100000"].memory
        targets.append((f"100,000 rows: peak RSS {ratio:.2f}× the openpyxl floor's (≤ 1.2; issue 14)", ratio <= 1.2))
    if "validate" in results:
        plain, annotated = results["validate"], results["validate-report"]
        ratio = annotated.time / plain.time
        lines += [f"`reportgen validate` at {validate_size(sizes):,} rows: {cell(plain)} s; "
                  f"with `--report`: {cell(annotated)} s."]
        targets.append((f"validate --report: {ratio:.2f}× validate (≤ 1.5; issue 14)", ratio <= 1.5))
    lines += ["", "Targets:"] + [f"- {'met' if ok else 'MISSED'}: {text}" for text, ok in targets]
    return "\n".join(lines), targets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="example,10000,100000",
                        help="rows per generated workbook, or `example` (inputs/), comma-separated")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--work", type=Path, help="keep workbooks and outputs here (default: a temp dir)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    sizes: list[int | str] = [size if size == "example" else int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="reportgen-bench-") as temp:
        work = args.work or Path(temp)
        work.mkdir(parents=True, exist_ok=True)
        prepare(work, sizes)
        before = load_average()
        results = run(work, sizes, args.repeat)
        text, targets = report(results, sizes, args.repeat, (before, load_average()))
        (work / "results.json").write_text(json.dumps(
            {name: {"wall": runs.wall, "rss_kib": runs.rss} for name, runs in results.items()}, indent=1))
    print(text)
    return 1 if args.check and not all(ok for _, ok in targets) else 0


if __name__ == "__main__":
    sys.exit(main())

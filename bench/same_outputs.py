"""Fingerprint what reportgen prints and writes, to prove a speed-up changed nothing.

Usage: python bench/same_outputs.py OUT.json [--bench DIR]   (run once before, once after)
       python bench/same_outputs.py --diff BEFORE.json AFTER.json

For every case of tests/corpus: `reportgen preview` and `reportgen validate` (exit code, stdout,
stderr); the shipped example's `build` (.docx sha256) and `validate --report` (the problems
sheet's values); for every `rows-N` folder under `--bench` (bench/run.py's work folder), the
.docx sha256 of `build`. Run from the checkout whose code is to be fingerprinted.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "corpus"
TEMPLATE = REPO / "templates" / "report.docx"


def _run(*args: str, cwd: Path = REPO) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "CI": "1"}
    done = subprocess.run([sys.executable, "-m", "reportgen", *args], cwd=cwd, capture_output=True,
                          text=True, env=env)
    return {"rc": done.returncode, "stdout": done.stdout, "stderr": done.stderr}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "missing"


def _report_values(path: Path) -> list[list[object]]:
    """Every sheet's values of a `validate --report` workbook (its zip bytes carry timestamps)."""
    from openpyxl import load_workbook

    if not path.exists():
        return []
    book = load_workbook(path)
    out = []
    for sheet in book.worksheets:
        out.append([sheet.title])
        for row in sheet.iter_rows():
            out.append([repr(cell.value) for cell in row]
                       + [f"{c.coordinate}:{c.fill.fgColor.rgb}:{c.comment.text if c.comment else ''}"
                          for c in row if c.comment or (c.fill and c.fill.fill_type)])
    return out


def fingerprint(bench: Path | None) -> dict[str, object]:
    found: dict[str, object] = {}
    cases = sorted(p for p in CORPUS.iterdir() if p.suffix in (".xlsx", ".ods", ".xlsm") or p.is_dir())
    with tempfile.TemporaryDirectory() as temp:
        out = Path(temp)
        for case in cases:
            if case.name.startswith(("_", ".")):
                continue
            found[f"preview {case.name}"] = _run("preview", str(case))
            found[f"validate {case.name}"] = _run("validate", str(case))
            report = out / f"{case.name}.report.xlsx"
            found[f"validate --report {case.name}"] = {**_run("validate", str(case), "--report", str(report)),
                                                      "values": _report_values(report)}
        target = out / "example.docx"
        found["build example"] = {**_run("build", "--template", str(TEMPLATE), "-o", str(target)),
                                  "sha256": _sha(target)}
        report = out / "example.report.xlsx"
        found["validate --report example"] = {**_run("validate", "inputs", "--report", str(report)),
                                              "values": _report_values(report)}
        for folder in sorted(bench.glob("rows-*")) if bench else ():
            target = out / f"{folder.name}.docx"
            result = _run("build", str(folder), "--template", str(TEMPLATE), "-o", str(target))
            found[f"build {folder.name}"] = {**result, "sha256": _sha(target)}
    for value in found.values():  # temporary paths differ between runs
        for key in ("stdout", "stderr"):
            value[key] = value[key].replace(temp, "TMP")
    return found


def diff(before: Path, after: Path) -> int:
    old, new = json.loads(before.read_text()), json.loads(after.read_text())
    changed = [key for key in sorted(old.keys() | new.keys()) if old.get(key) != new.get(key)]
    for key in changed:
        print(f"DIFFERS: {key}")
        for field in ("rc", "stdout", "stderr", "sha256", "values"):
            a, b = (old.get(key) or {}).get(field), (new.get(key) or {}).get(field)
            if a != b:
                print(f"  {field}:\n    before: {str(a)[:600]!r}\n    after:  {str(b)[:600]!r}")
    print(f"{len(old)} cases compared, {len(changed)} differ")
    return 1 if changed else 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["--diff"]:
        return diff(Path(argv[1]), Path(argv[2]))
    bench = Path(argv[argv.index("--bench") + 1]) if "--bench" in argv else None
    Path(argv[0]).write_text(json.dumps(fingerprint(bench), ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

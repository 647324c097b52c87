"""Memory of `reportgen serve`: what one check takes for the bytes uploaded, and fairness under big uploads.

Usage: python bench/serve_memory.py [--calibrate] [--fairness] (both when neither is given)

--calibrate  one fresh process per workbook of a varied corpus (synthetic rows at several sizes,
             long texts, a notes column of numbers, .ods, and two hostile shapes: a far-away cell
             and repeated .ods cells). Each process checks the example once (imports, caches),
             then measures the peak resident memory (VmHWM, reset through /proc/self/clear_refs)
             of one pipeline.check of the workbook. Prints the ratio of that peak to the uploaded
             bytes and to the inflated sheet XML, and web/estimate.py's prediction beside it.
             Exits 1 if any prediction is below the measured peak.
--fairness   starts `reportgen serve` in its own process, uploads two of the largest workbooks it
             accepts at once, and meanwhile the example; prints how long the example took to
             come back with its chapter, the server's peak memory, and its memory after the checks.
             Exits 1 if the example took 10 s or more or the peak reached 1 GB.

Linux only (/proc). Workbooks are generated into a temporary folder (bench/workbooks.py).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import httpx
from openpyxl import load_workbook

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import workbooks  # noqa: E402

from reportgen.web import estimate  # noqa: E402
from reportgen.web.config import ServeConfig  # noqa: E402

EXAMPLE = next((REPO / "inputs").glob("*.xlsx"))
EXAMPLE_ODS = REPO / "tests" / "fixtures" / "範例_110年下半年_國際事務.ods"
EXPECTED = (REPO / "tests" / "fixtures" / "expected_chapter.txt").read_text(encoding="utf-8")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MB = 1024 * 1024

PROBE = r"""
import gc, json, sys
from pathlib import Path
from reportgen.web import pipeline

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024

example = Path(sys.argv[2])
pipeline.check([pipeline.Upload(example.name, example.read_bytes())])
gc.collect()
path = Path(sys.argv[1])
data = path.read_bytes()
base = status("VmRSS")
open("/proc/self/clear_refs", "w").write("5")  # VmHWM starts again from the current size
started = __import__("time").perf_counter()
pipeline.check([pipeline.Upload(path.name, data)])
print(json.dumps({"base": base, "peak": status("VmHWM"), "seconds": __import__("time").perf_counter() - started}))
"""


# Corpus ------------------------------------------------------------------------------------------

def long_texts(folder: Path) -> Path:
    """2,000 activities whose 內容 holds about 3,000 characters each."""
    book = load_workbook(workbooks.write(folder / "base-long.xlsx", 2000))
    sheet = book["活動"]
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row, 5).value = "本府與友好城市舉行交流會議，雙方就智慧城市議題交換意見。" * 100 + str(row)
    path = folder / "long-texts.xlsx"
    book.save(path)
    return path


def numbers(folder: Path) -> Path:
    """10,000 rows with a staff member's notes: 50 more columns of numbers on 訪賓."""
    book = load_workbook(workbooks.write(folder / "base-numbers.xlsx", 10000))
    sheet = book["訪賓"]
    for row in range(1, sheet.max_row + 1):
        for column in range(9, 60):
            sheet.cell(row, column).value = row * column if row > 1 else f"筆記{column}"
    path = folder / "numbers.xlsx"
    book.save(path)
    return path


def far_cell(folder: Path) -> Path:
    """The example plus a notes tab holding A1 and E1000000: a grid of five million cells."""
    book = load_workbook(EXAMPLE)
    notes = book.create_sheet("筆記")
    notes["A1"], notes["E1000000"] = "x", "y"
    path = folder / "far-cell.xlsx"
    book.save(path)
    return path


def repeated_ods(folder: Path, rows: int = 1000, columns: int = 2000) -> Path:
    """The example .ods plus a tab of one cell repeated over rows × columns (20 kB on disk)."""
    path = folder / f"repeated-{rows * columns // 1000}k.ods"
    extra = (f'<table:table table:name="筆記"><table:table-row table:number-rows-repeated="{rows}">'
             f'<table:table-cell table:number-columns-repeated="{columns}" office:value-type="string">'
             '<text:p>x</text:p></table:table-cell></table:table-row></table:table>')
    with zipfile.ZipFile(EXAMPLE_ODS) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "content.xml":
                data = data.replace(b"</office:spreadsheet>", extra.encode() + b"</office:spreadsheet>")
            target.writestr(info, data, zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED)
    return path


def ods_copy(folder: Path, source: Path) -> Path | None:
    """`source` saved as .ods by LibreOffice, when it is installed."""
    try:
        subprocess.run(["soffice", "--headless", "--convert-to", "ods", "--outdir", str(folder), str(source)],
                       capture_output=True, timeout=300, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    made = folder / (source.stem + ".ods")
    return made if made.is_file() else None


def corpus(folder: Path) -> list[Path]:
    books = [EXAMPLE, EXAMPLE_ODS]
    books += [workbooks.write(folder / f"rows-{rows}.xlsx", rows) for rows in (1000, 10000, 30000, 60000, 100000)]
    books += [long_texts(folder), numbers(folder), far_cell(folder), repeated_ods(folder)]
    ods = ods_copy(folder, books[3])
    return books + ([ods] if ods else [])


def sheet_xml(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist() if info.filename.startswith("xl/worksheets/")
                   or info.filename in ("xl/sharedStrings.xml", "content.xml"))


def calibrate() -> int:
    print("| workbook | uploaded | sheet XML | peak of one check | per uploaded byte | per XML byte | predicted "
          "| check |")
    print("|---|---|---|---|---|---|---|---|")
    below = []
    with tempfile.TemporaryDirectory() as work:
        for path in corpus(Path(work)):
            done = subprocess.run([sys.executable, "-c", PROBE, str(path), str(EXAMPLE)], capture_output=True,
                                  text=True, check=True, cwd=REPO)
            measured = json.loads(done.stdout)
            peak = measured["peak"] - measured["base"]
            size, xml = path.stat().st_size, sheet_xml(path)
            predicted = estimate.predicted_memory([path.read_bytes()])
            print(f"| {path.name} | {size / 1e6:.2f} MB | {xml / 1e6:.1f} MB | {peak / MB:.0f} MB | "
                  f"{peak / size:.0f}× | "
                  f"{peak / xml:.1f}× | {predicted / MB:.0f} MB ({predicted / max(peak, 1):.2f}×) | "
                  f"{measured['seconds']:.1f} s |")
            if predicted < peak:
                below.append(path.name)
    if below:
        print(f"prediction below the measured peak: {below}", file=sys.stderr)
        return 1
    print("every prediction at or above the measured peak")
    return 0


# Fairness ----------------------------------------------------------------------------------------

def largest_accepted(folder: Path, limit: int) -> Path:
    """The synthetic workbook with the most rows (in steps of 1,000) predicted within `limit`."""
    low, high = 1000, 200000
    best = None
    while high - low > 1000:
        middle = (low + high) // 2000 * 1000
        path = workbooks.write(folder / f"max-{middle}.xlsx", middle)
        if estimate.predicted_memory([path.read_bytes()]) <= limit:
            best, low = path, middle
        else:
            high = middle
    assert best is not None
    return best


def memory_of(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) * 1024
    return values


def post(base: str, path: Path, results: dict[str, tuple[float, int, str]], key: str) -> None:
    started = time.perf_counter()
    response = httpx.post(base + "/check", files=[("workbooks", (path.name, path.read_bytes(), XLSX))],
                          timeout=300, follow_redirects=True)
    results[key] = (time.perf_counter() - started, response.status_code, response.text)


def fairness() -> int:
    limit = ServeConfig().max_check_memory
    with tempfile.TemporaryDirectory() as work, socket.socket() as probe:
        biggest = largest_accepted(Path(work), limit)
        shown = (f"{biggest.name} ({biggest.stat().st_size / 1e6:.2f} MB, predicted "
                 f"{estimate.predicted_memory([biggest.read_bytes()]) / MB:.0f} MB each, limit {limit / MB:.0f} MB)")
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        server = subprocess.Popen([sys.executable, "-m", "reportgen", "serve", "--port", str(port)], cwd=REPO,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            server.stdout.readline()
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    httpx.get(base + "/", timeout=5)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            post(base, EXAMPLE, {}, "warm-up")
            before = memory_of(server.pid)
            results: dict[str, tuple[float, int, str]] = {}
            threads = [threading.Thread(target=post, args=(base, biggest, results, f"big{n}")) for n in (1, 2)]
            for thread in threads:
                thread.start()
            time.sleep(1.0)  # both uploads received and being checked
            post(base, EXAMPLE, results, "example")
            for thread in threads:
                thread.join()
            time.sleep(0.5)
            after = memory_of(server.pid)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(30)
    seconds, status, page = results["example"]
    match = re.search(r'<pre id="plain-text">(.*?)</pre>', page, re.S)
    chapter_ok = status == 200 and match is not None and html.unescape(match.group(1)) == EXPECTED
    print(f"two uploads of {shown} at once:")
    for key in ("big1", "big2"):
        print(f"  {key}: HTTP {results[key][1]} after {results[key][0]:.1f} s")
    print(f"the example uploaded meanwhile: HTTP {status} after {seconds:.2f} s, chapter "
          f"{'as expected' if chapter_ok else 'WRONG'}")
    print(f"server memory: {before['VmRSS'] / MB:.0f} MB before, peak {after['VmHWM'] / MB:.0f} MB, "
          f"{after['VmRSS'] / MB:.0f} MB after the checks")
    ok = chapter_ok and seconds < 10 and after["VmHWM"] < 1024 * MB
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--fairness", action="store_true")
    args = parser.parse_args()
    if not os.path.exists("/proc/self/status"):
        print("needs Linux (/proc)", file=sys.stderr)
        return 2
    both = not (args.calibrate or args.fairness)
    code = calibrate() if args.calibrate or both else 0
    return (fairness() if args.fairness or both else 0) or code


if __name__ == "__main__":
    sys.exit(main())

"""Render the blank workbook's 活動 sheet through LibreOffice to docs/init-活動.png (for the README).

The sheet is printed with grid lines and row/column headings so the picture looks like the
screen; only the printed copy gets those settings. Needs soffice and pdftoppm (poppler-utils).
Run: python tools/render_init_screenshot.py
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from openpyxl import load_workbook

from reportgen.api import create_workbook as create
from reportgen.schema import ACTIVITIES

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "init-活動.png"
ROWS = 12  # rows of the sheet shown under the header
DPI = 110


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        blank = work / "blank.xlsx"
        create(blank, period="111/1/1-111/6/30")
        book = load_workbook(blank)
        for sheet in list(book.worksheets):
            if sheet.title != ACTIVITIES.name:
                book.remove(sheet)
        sheet = book[ACTIVITIES.name]
        sheet.print_options.gridLines = True
        sheet.print_options.headings = True
        sheet.print_area = f"A1:{sheet.cell(1, sheet.max_column).column_letter}{ROWS + 1}"
        printed = work / "activities.xlsx"
        book.save(printed)
        subprocess.run(["soffice", f"-env:UserInstallation=file://{work}/profile", "--headless",
                        "--convert-to", "pdf", "--outdir", str(work), str(printed)],
                       check=True, capture_output=True, timeout=180)
        pdf = work / "activities.pdf"
        box = _content_box(pdf, work / "page")
        TARGET.parent.mkdir(parents=True, exist_ok=True)
        x, y, width, height = box
        subprocess.run(["pdftoppm", "-png", "-r", str(DPI), "-f", "1", "-l", "1", "-singlefile",
                        "-x", str(x), "-y", str(y), "-W", str(width), "-H", str(height),
                        str(pdf), str(TARGET.with_suffix(""))], check=True, timeout=60)
    print(f"wrote {TARGET.relative_to(ROOT)} ({TARGET.stat().st_size} bytes)")


def _content_box(pdf: Path, stem: Path, margin: int = 6) -> tuple[int, int, int, int]:
    """The page's non-white area (x, y, width, height) in pixels, read from a greyscale render."""
    subprocess.run(["pdftoppm", "-gray", "-r", str(DPI), "-f", "1", "-l", "1", "-singlefile",
                    str(pdf), str(stem)], check=True, timeout=60)
    data = stem.with_suffix(".pgm").read_bytes()
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+\d+\s", data)
    assert header, "pdftoppm -gray should write a binary PGM"
    width, height = int(header.group(1)), int(header.group(2))
    pixels = data[header.end():]
    rows = [pixels[r * width:(r + 1) * width] for r in range(height)]
    dark_rows = [r for r, row in enumerate(rows) if min(row) < 250]
    dark_cols = [c for c in range(width) if any(row[c] < 250 for row in rows[dark_rows[0]:dark_rows[-1] + 1])]
    left, top = max(dark_cols[0] - margin, 0), max(dark_rows[0] - margin, 0)
    right, bottom = min(dark_cols[-1] + margin, width - 1), min(dark_rows[-1] + margin, height - 1)
    return left, top, right - left + 1, bottom - top + 1


if __name__ == "__main__":
    main()

"""Screenshots of `reportgen serve` for the README: the example workbook, and one with mistakes,
on a desktop (1280 px) and on a phone (390 px), each as the page shows it after the upload.

    python tools/screenshot_serve.py   # docs/serve-good.png, serve-bad.png, serve-phone-good.png, serve-phone-bad.png

Needs Chromium (/usr/bin/chromium, or $CHROMIUM) and the `test` extra (Playwright).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from reportgen.web.background import running  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
EXAMPLE = next((REPO / "inputs").glob("*.xlsx"))


def bad_copy(folder: Path) -> Path:
    """The example with the mistakes staff make: text in 人數, impossible dates, a blank title, and
    a zero-width space pasted from a web page (a warning)."""
    book = load_workbook(EXAMPLE)
    visits, activities = book["訪賓"], book["活動"]
    heads = {cell.value: cell.column_letter for cell in visits[1]}
    visits[f"{heads['人數']}3"] = "五人"
    visits[f"{heads['日期']}4"] = "110/2/30"
    heads = {cell.value: cell.column_letter for cell in activities[1]}
    activities[f"{heads['標題']}5"] = None
    activities[f"{heads['開始日期']}6"] = "110/13/1"
    activities[f"{heads['標題']}7"] = f"{activities[heads['標題'] + '7'].value}\u200b"  # a warning
    path = folder / "承辦人A_有錯誤.xlsx"
    book.save(path)
    return path


ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]
SHOTS = (  # name, workbook, viewport width, height shown from the top of the result
    ("serve-good.png", "good", 1280, 1600),
    ("serve-bad.png", "bad", 1280, 1300),
    ("serve-phone-good.png", "good", 390, 1400),
    ("serve-phone-bad.png", "bad", 390, 1400),
)


def main() -> int:
    docs = REPO / "docs"
    with tempfile.TemporaryDirectory() as work, running() as base, sync_playwright() as p:
        books = {"good": EXAMPLE, "bad": bad_copy(Path(work))}
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for name, workbook, width, height in SHOTS:
            page = browser.new_page(viewport={"width": width, "height": 900}, locale="zh-TW",
                                    device_scale_factor=2 if width < 600 else 1)
            page.goto(base + "/")
            page.set_input_files("#workbooks", str(books[workbook]))
            page.click("#submit")
            page.wait_for_selector("#status, #fatal, #error-message")
            top = page.evaluate("document.getElementById('result').getBoundingClientRect().top + window.scrollY")
            full = page.evaluate("document.documentElement.scrollHeight")
            start = max(0, top - 8)
            page.screenshot(path=str(docs / name), full_page=True,
                            clip={"x": 0, "y": start, "width": width, "height": min(full - start, height)})
            page.close()
            print(f"已產生 {docs / name}")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

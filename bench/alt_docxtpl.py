"""The popular alternative: openpyxl read-only, then docxtpl renders a Jinja-tagged .docx.

Usage: python bench/alt_docxtpl.py INPUT_DIR TAGGED_TEMPLATE.docx OUTPUT.docx
The tagged template is made by bench/run.py from the same Word template reportgen uses.
"""

from __future__ import annotations

import sys
from pathlib import Path

from chapter import chapter, read
from docxtpl import DocxTemplate


def main(source: Path, template: Path, target: Path) -> None:
    document = DocxTemplate(str(template))
    document.render(chapter(read(source)), autoescape=True)
    document.save(str(target))


if __name__ == "__main__":
    main(*(Path(arg) for arg in sys.argv[1:4]))

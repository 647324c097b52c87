"""Where the default Word template lives once reportgen is installed, or run from a checkout.

The one source is `templates/report.docx` at the top of the repository, the file editors
restyle. setup.py's build step copies it here, beside this module, into the wheel; a source
checkout (or an editable install) has no copy and uses the repository's file itself.
"""

from __future__ import annotations

from pathlib import Path

NAME = "report.docx"


def bundled() -> Path:
    """The template shipped with the package, else the checkout's `templates/report.docx`."""
    packaged = Path(__file__).with_name(NAME)
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "templates" / NAME

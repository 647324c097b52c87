"""reportgen: staff workbooks → the numbered 國際事務 chapter of the council report.

The public API (`load`, `render_docx`, `preview_text`) lives in `reportgen.api`; it is
re-exported here lazily so that `import reportgen` stays cheap for the command line.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["FatalError", "Outcome", "default_template", "document", "load", "preview_text", "render_docx", "summary",
           "template_findings", "template_warnings"]


def __getattr__(name: str):
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(name)

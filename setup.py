"""Build hook: the wheel carries a copy of the one default template, `templates/report.docx`.

Everything else about the package is declared in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

TEMPLATE = Path(__file__).resolve().parent / "templates" / "report.docx"


class BuildWithTemplate(build_py):
    """Copy templates/report.docx into reportgen/templates/ of the build, never into the source tree."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "reportgen" / "templates" / TEMPLATE.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(TEMPLATE, target)


setup(cmdclass={"build_py": BuildWithTemplate})

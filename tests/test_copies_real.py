"""The PDF/ODT beside the .docx with real LibreOffice: an edited copy is kept (SPEC §6, issue 19)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from helpers import REPO, run_cli, write_workbook
from reportgen.write.fingerprint import Origin, copy_origin

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")]


def test_an_odt_saved_again_in_libreoffice_is_kept_and_an_own_one_replaced(tmp_path):
    book = write_workbook(tmp_path / "book.xlsx")
    out = tmp_path / "out" / "chapter.docx"
    build = ["build", book, "-o", out, "--odt", "--pdf", "--template", REPO / "templates" / "report.docx"]
    assert run_cli(*build).code == 0
    odt, pdf = out.with_suffix(".odt"), out.with_suffix(".pdf")
    assert copy_origin(odt) is Origin.OWN and copy_origin(pdf) is Origin.OWN
    assert subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True).stdout.startswith("貳拾陸")
    assert run_cli(*build).code == 0  # its own, unedited copies are replaced
    # An editor opens the .odt in LibreOffice and saves it (here: converted to .odt again).
    edited = tmp_path / "edited"
    profile = (tmp_path / "profile").as_uri()
    subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "odt",
                    "--outdir", edited, odt], check=True, capture_output=True, timeout=180)
    shutil.copy(edited / odt.name, odt)
    saved = odt.read_bytes()
    result = run_cli(*build)
    assert result.code == 2 and "chapter.odt 不是 reportgen 產生的" in result.err and "--force" in result.err
    assert odt.read_bytes() == saved
    assert run_cli(*build, "--force").code == 0 and copy_origin(odt) is Origin.OWN

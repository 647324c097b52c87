"""LibreOffice conversion without LibreOffice: a missing soffice, a hung one, a failing one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reportgen.errors import FatalError
from reportgen.write import convert

posix_only = pytest.mark.skipif(os.name != "posix", reason="the stand-in soffice is a shell script")


@pytest.fixture
def no_soffice(tmp_path, monkeypatch):
    """A PATH with no LibreOffice on it, and none in the usual install folders."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv(convert.SOFFICE_ENV, raising=False)
    monkeypatch.setattr(convert, "_WELL_KNOWN", ())


def fake_soffice(folder: Path, script: str, monkeypatch) -> Path:
    path = folder / "soffice"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    monkeypatch.setenv(convert.SOFFICE_ENV, str(path))
    return path


def test_missing_soffice_exits_2_and_keeps_the_docx(project, cli, no_soffice):
    result = cli("build", "--pdf", "--odt")
    assert result.code == 2
    assert result.out == ("已產生 outputs/國際事務.docx\n"
                          "共 2 節、14 項活動、16 案訪賓（101 人）；警告 0 項。\n")
    assert result.err == (
        "錯誤：找不到 LibreOffice（soffice），無法轉出 PDF、ODF 文字文件（.odt）。"
        "請安裝 LibreOffice（https://zh-tw.libreoffice.org/），或將 soffice 所在資料夾加入 PATH，"
        "或以環境變數 REPORTGEN_SOFFICE 指定 soffice 的完整路徑。"
        "Word 文件 outputs/國際事務.docx 已產生，不受影響。\n")
    assert sorted(p.name for p in (project / "outputs").iterdir()) == ["國際事務.docx"]


def test_soffice_is_found_on_path_or_through_the_environment(tmp_path, monkeypatch, no_soffice):
    assert convert.find_soffice() is None
    fake = fake_soffice(tmp_path, "exit 0\n", monkeypatch)
    assert convert.find_soffice() == str(fake)
    monkeypatch.delenv(convert.SOFFICE_ENV)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert convert.find_soffice() == str(fake)


def _alive(pid: int) -> bool:
    """Running, not merely a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


@posix_only
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see processes")
@pytest.mark.slow
def test_a_hung_conversion_is_killed_with_its_children(tmp_path, monkeypatch):
    """soffice starts helper processes; a timeout must end all of them, not just the first."""
    pids = tmp_path / "pids"
    fake_soffice(tmp_path, f"sleep 300 &\necho $! > {pids}\necho $$ >> {pids}\nwait\n", monkeypatch)
    docx = tmp_path / "chapter.docx"
    docx.write_bytes(b"PK")
    with pytest.raises(FatalError) as caught:
        convert.convert(docx, ["pdf"], timeout=1)
    assert caught.value.message.startswith("LibreOffice 轉檔超過 1 秒仍未完成，已停止。")
    assert caught.value.message.endswith(f"Word 文件 {docx} 已產生，不受影響。")
    started = [int(p) for p in pids.read_text().split()]
    assert len(started) == 2
    survivors = [pid for pid in started if _alive(pid)]
    for _ in range(100):  # the kernel reparents and reaps the orphans asynchronously
        survivors = [pid for pid in survivors if _alive(pid)]
        if not survivors:
            break
        time.sleep(0.05)
    assert survivors == []
    assert not docx.with_suffix(".pdf").exists()


@posix_only
def test_a_failed_conversion_is_fatal_and_writes_nothing(tmp_path, monkeypatch):
    """soffice exits 0 even when it cannot load a file: the missing output is what tells."""
    fake_soffice(tmp_path, "echo 'Error: source file could not be loaded' >&2\nexit 0\n", monkeypatch)
    docx = tmp_path / "chapter.docx"
    docx.write_bytes(b"PK")
    with pytest.raises(FatalError, match=r"無法將 chapter\.docx 轉成 PDF（沒有產生檔案") as caught:
        convert.convert(docx, ["pdf"])
    assert "could not be loaded" not in caught.value.message  # SPEC §6: LibreOffice's English stays out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chapter.docx", "soffice"]


@posix_only
def test_soffice_gets_its_own_profile_and_the_font_aliases(tmp_path, monkeypatch):
    """A stand-in soffice records how it was called and 'converts' by copying its input."""
    log = tmp_path / "log"
    fake_soffice(tmp_path, (
        f'for a in "$@"; do echo "$a" >> {log}; done\n'
        f'echo "FONTCONFIG_FILE=$FONTCONFIG_FILE" >> {log}\n'
        f'cat "$FONTCONFIG_FILE" >> {log}\n'
        'while [ "$1" != "--outdir" ]; do shift; done\n'
        'mkdir -p "$2"; cp "$3" "$2/input.pdf"\n'), monkeypatch)
    docx = tmp_path / "國際事務.docx"
    docx.write_bytes(b"chapter bytes")
    assert convert.convert(docx, ["pdf"]) == [tmp_path / "國際事務.pdf"]
    written = (tmp_path / "國際事務.pdf").read_bytes()  # the fake soffice copies its input
    assert written.startswith(b"chapter bytes\n%reportgen:sha256:")  # with reportgen's mark on the copy
    calls = log.read_text()
    assert "--headless" in calls.splitlines()
    profile = next(a for a in calls.splitlines() if a.startswith("-env:UserInstallation=file://"))
    assert "reportgen-soffice-" in profile
    if sys.platform.startswith("linux"):
        aliases = Path(convert.__file__).parents[1] / "fonts" / "aliases.conf"
        assert f"<include>{aliases}</include>" in calls
        assert "<family>標楷體</family>" in aliases.read_text(encoding="utf-8")
    assert not Path(profile.split("file://", 1)[1]).parent.exists()  # the temporary profile is removed


needs_fontconfig = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not shutil.which("fc-match"), reason="fontconfig is Linux's")


def _without_tw_kai(tmp_path: Path) -> Path:
    """A fontconfig set-up like a machine without fonts-cns11643-kai: TW-Kai's files rejected."""
    config = tmp_path / "no-tw-kai.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<fontconfig>\n  <include>/etc/fonts/fonts.conf</include>\n'
        "  <selectfont><rejectfont><glob>/usr/share/fonts/truetype/cns11643/*</glob>"
        "</rejectfont></selectfont>\n</fontconfig>\n", encoding="utf-8")
    return config


@needs_fontconfig
def test_kai_stand_in_is_tw_kai_first():
    """TW-Kai (全字庫正楷體) draws the standard forms; AR PL UKai only fills in after it."""
    families = [f.text for f in _alias_prefer("標楷體")]
    assert families.index("TW-Kai") < families.index("AR PL UKai TW")
    if "TW-Kai" in subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout.replace("\\", ""):
        assert convert.pdf_font_warning() is None


@needs_fontconfig
def test_a_non_standard_kai_face_is_warned(tmp_path, monkeypatch):
    monkeypatch.setenv("FONTCONFIG_FILE", str(_without_tw_kai(tmp_path)))
    warning = convert.pdf_font_warning()
    if warning is None:
        pytest.skip("no other Kai face installed either")
    assert warning.startswith("警告：PDF 中的標楷體由「AR PL UKai")
    assert "「為」會印成「爲」" in warning and "fonts-cns11643-kai" in warning


def test_no_font_warning_where_fontconfig_is_not_used(monkeypatch):
    monkeypatch.setattr(convert.sys, "platform", "win32")
    assert convert.pdf_font_warning() is None


def _alias_prefer(family: str):
    from lxml import etree

    root = etree.parse(str(Path(convert.__file__).parents[1] / "fonts" / "aliases.conf"))
    alias = next(a for a in root.iter("alias") if a.findtext("family") == family)
    return alias.find("prefer").iter("family")


@needs_fontconfig
@posix_only
def test_build_pdf_prints_the_font_warning(project, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("FONTCONFIG_FILE", str(_without_tw_kai(tmp_path)))
    if convert.pdf_font_warning() is None:
        pytest.skip("no other Kai face installed either")
    fake_soffice(tmp_path, 'while [ "$1" != "--outdir" ]; do shift; done\nmkdir -p "$2"; '
                 'cp "$3" "$2/input.pdf"; cp "$3" "$2/input.odt"\n', monkeypatch)
    result = cli("build", "--pdf")
    assert result.code == 0
    assert result.err.startswith("警告：PDF 中的標楷體由「AR PL UKai")
    assert result.out.splitlines()[-1] == "已產生 outputs/國際事務.pdf"
    monkeypatch.delenv("FONTCONFIG_FILE")
    assert cli("build", "--odt").err == ""  # only a PDF shows the glyphs

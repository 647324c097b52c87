"""The command line: exit codes 0/1/2, messages, and outputs that are all-or-nothing."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

import pytest

from conftest import digest
from helpers import EXAMPLE, run_cli, write_workbook


def test_no_command_shows_help(cli):
    result = cli()
    assert result.code == 2
    assert "用法：reportgen" in result.out and "指令" in result.out
    assert "--version   顯示版本後結束" in result.out  # argparse's own English help is not shown


def test_version(cli):
    result = cli("--version")
    assert (result.code, result.out) == (0, "reportgen 0.1.0\n")


@pytest.mark.parametrize("command", ["build", "validate", "preview"])
def test_every_command_has_help(cli, command):
    result = cli(command, "--help")
    assert result.code == 0
    assert result.out.startswith(f"用法：reportgen {command}")
    assert "顯示說明後結束" in result.out


def test_unknown_option_is_a_usage_error(cli):
    result = cli("build", "--colour")
    assert result.code == 2
    assert "無法辨識的參數：--colour" in result.err


@pytest.mark.parametrize("args", [("build", "--bogus"), ("validate", "a.xlsx", "--bogus"),
                                  ("init", "a.xlsx", "b.xlsx")])
def test_an_argument_a_command_does_not_know_shows_that_commands_usage(cli, args):
    """As argparse does for a command's other mistakes (`build -o` with no value)."""
    result = cli(*args)
    assert result.code == 2 and result.out == ""
    assert result.err.startswith(f"用法：reportgen {args[0]} [-h]")
    assert result.err.endswith(f"reportgen {args[0]}：錯誤：無法辨識的參數：{args[-1]}\n")


def test_an_argument_before_the_command_shows_the_top_level_usage(cli):
    result = cli("--bogus", "build")
    assert result.code == 2
    assert result.err.startswith("用法：reportgen [-h] [--version]")
    assert result.err.endswith("reportgen：錯誤：無法辨識的參數：--bogus\n")


@pytest.mark.parametrize(("args", "message"), [
    (("build", "-o", ".docx"), "輸出檔 .docx 只有副檔名，沒有檔名。請在 .docx 前加上檔名，例如 國際事務.docx。"),
    (("build", "-o", "outputs/.DOCX"), "輸出檔 outputs/.DOCX 只有副檔名，沒有檔名。請在 .docx 前加上檔名，"
                                        "例如 outputs/國際事務.docx。"),
    (("validate", "--report", ".xlsx"), "檢核報告 .xlsx 只有副檔名，沒有檔名。"),
    (("init", ".xlsx"), ".xlsx 只有副檔名，沒有檔名。"),
    (("import", "c.txt", "-o", ".xlsx"), ".xlsx 只有副檔名，沒有檔名。"),
])
def test_a_name_that_is_only_the_extension_says_the_name_is_missing(project, cli, args, message):
    (project / "c.txt").write_text("貳拾陸、國際事務\n", encoding="utf-8")
    result = cli(*args)
    assert result.code == 2
    assert result.err.startswith(f"錯誤：{message}") and "副檔名須" not in result.err
    assert not (project / "outputs").exists()


def test_import_names_itself_when_it_will_not_overwrite(project, cli):
    (project / "c.txt").write_text("貳拾陸、國際事務\n一、交流專案\n", encoding="utf-8")
    existing = write_workbook(project / "w.xlsx")
    before = digest(existing)
    result = cli("import", "c.txt", "-o", "w.xlsx")
    assert result.code == 2
    assert result.err == "錯誤：w.xlsx 已存在；reportgen import 不會覆寫既有檔案。請換一個檔名，或先將舊檔移到別處。\n"
    assert digest(existing) == before


@pytest.mark.parametrize("title", ["..", " . "])
def test_a_chapter_title_of_dots_gives_a_chinese_default_name(project, cli, tmp_path, title):
    from helpers import SETTINGS

    book = write_workbook(tmp_path / "a.xlsx", settings={**SETTINGS, "章名": title})
    result = cli("build", book)
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == "已產生 outputs/第26章.docx"
    assert [p.name for p in (project / "outputs").iterdir()] == ["第26章.docx"]


def test_missing_input_exits_2(project, cli):
    result = cli("build", "nothing-here.xlsx")
    assert (result.code, result.out) == (2, "")
    assert result.err == "錯誤：找不到檔案 nothing-here.xlsx。請確認路徑是否正確。\n"


def test_missing_default_folder_says_what_to_do(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("validate")
    assert (result.code, result.out) == (2, "")
    assert result.err == ("錯誤：找不到資料夾 inputs。請確認路徑是否正確。"
                          "未指定活頁簿時讀取 inputs 資料夾；請指定活頁簿或資料夾。\n")


def test_broken_workbook_exits_2_without_traceback(project, cli):
    (project / "broken.xlsx").write_bytes(b"this is not a workbook")
    result = cli("validate", "broken.xlsx")
    assert result.code == 2
    assert result.err.startswith("錯誤：broken.xlsx：")
    assert "內部錯誤" not in result.err and result.err.count("\n") == 1


def test_errors_exit_1_and_leave_previous_output_untouched(project, cli, tmp_path):
    assert cli("build").code == 0
    output = project / "outputs" / "國際事務.docx"
    before = digest(output)
    bad = write_workbook(tmp_path / "bad.xlsx", visits=[
        {"日期": "110/9/10", "單位": "日本京都市", "代表": "門川大作市長", "人數": "abc"}])
    result = cli("build", bad, "-o", output)
    assert result.code == 1
    assert "訪賓!E2（人數）" in result.err
    assert result.err.splitlines()[-1] == "錯誤 1 項、警告 0 項，未產生檔案。"
    assert digest(output) == before
    assert sorted(p.name for p in output.parent.iterdir()) == ["國際事務.docx"]  # no temp files


def test_template_problem_exits_2(project, cli, tmp_path):
    fake = tmp_path / "template.docx"
    fake.write_text("not a docx")
    result = cli("build", "--template", fake)
    assert result.code == 2
    assert "不是 Word 文件" in result.err


def test_installed_template_is_used_outside_the_project(project, cli):
    shutil.rmtree(project / "templates")
    assert cli("build").code == 0
    assert (project / "outputs" / "國際事務.docx").stat().st_size > 0


def test_validate_lists_problems_on_stdout(project, cli, tmp_path):
    bad = write_workbook(tmp_path / "bad.xlsx", activities=[
        {"節次": 9, "標題": "x", "開始日期": "110/2/30", "內容": "y"}])
    result = cli("validate", bad)
    assert result.code == 1
    cells = [line.split("（")[0].split()[-1] for line in result.out.splitlines()[:-1]]
    assert cells == ["章節!A2", "活動!A2", "活動!C2"]  # sheets in workbook order


@pytest.mark.slow
def test_main_module_runs(project):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "reportgen", "preview"], capture_output=True,
                          text=True, encoding="utf-8", check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "貳拾陸、國際事務"


@pytest.mark.slow
def test_the_command_ends_without_teardown_but_with_every_line_and_its_exit_code(project, tmp_path):
    """`run` ends the process with os._exit: what was printed is flushed, the code kept, the file written."""
    import subprocess
    import sys

    bad = write_workbook(tmp_path / "bad.xlsx",
                         visits=[{"日期": "110/9/31", "單位": "京都市", "代表": "甲", "人數": 1}])
    for args, code in ((["build", "-o", str(tmp_path / "out.docx")], 0), (["validate", str(bad)], 1)):
        done = subprocess.run([sys.executable, "-m", "reportgen", *args], capture_output=True,
                              text=True, encoding="utf-8", check=False)
        assert done.returncode == code, done.stderr
        assert "Traceback" not in done.stderr
        last = done.stdout.splitlines()[-1]
        assert last.startswith("共 ") if code == 0 else last.startswith("檢核完成：錯誤 1 項")
    assert (tmp_path / "out.docx").stat().st_size > 0
    piped = subprocess.run(f"{sys.executable} -m reportgen preview | head -1", shell=True, capture_output=True,
                           text=True, encoding="utf-8", check=False)
    assert piped.stdout == "貳拾陸、國際事務\n" and "Traceback" not in piped.stderr and piped.stderr == ""
    closed = subprocess.run(f"{sys.executable} -m reportgen build -o {tmp_path / 'closed.docx'} >&-", shell=True,
                            capture_output=True, text=True, encoding="utf-8", check=False)
    assert closed.returncode == 0 and closed.stderr == ""  # no stdout at all: nothing to flush, no traceback
    assert (tmp_path / "closed.docx").stat().st_size > 0


@pytest.mark.parametrize(("people", "ok"), [(1, True), (9999, True), (10000, False), (2**62, False)])
def test_people_bounds_come_from_the_schema(project, cli, tmp_path, people, ok):
    book = write_workbook(tmp_path / "p.xlsx", visits=[
        {"日期": "110/9/10", "單位": "日本京都市", "代表": "門川大作市長", "人數": people}])
    result = cli("validate", book)
    assert result.code == (0 if ok else 1)
    assert ("p.xlsx 訪賓!E2（人數）" in result.out) is not ok


def test_duplicate_is_reported_even_when_the_first_row_has_other_errors(project, cli, tmp_path):
    book = write_workbook(tmp_path / "d.xlsx", visits=[
        {"日期": "110/9/10", "單位": "日本京都市", "代表": "門川大作市長", "人數": "五"},
        {"日期": "110/9/10", "單位": "日本京都市", "代表": "門川大作市長", "人數": 2}])
    result = cli("validate", book)
    found = [(line.split("（")[0].split()[-1]) for line in result.out.splitlines()[:-1]]
    assert found == ["訪賓!E2", "訪賓!C3"]
    assert "另一筆在 d.xlsx 訪賓!C2" in result.out


@pytest.mark.slow  # seconds of the default run's budget: CI runs it
def test_a_thousand_items_in_one_section_is_an_error_not_a_crash(project, cli, tmp_path):
    rows = [{"節次": 1, "標題": f"活動{n}", "開始日期": "110/9/8", "內容": "內容"} for n in range(1000)]
    book = write_workbook(tmp_path / "many.xlsx", activities=rows)
    result = cli("build", book, "-o", tmp_path / "many.docx")
    assert result.code == 1
    assert "many.xlsx 章節!A2（節次）：節次 1「交流專案」有 1,000 項活動，一節最多 999 項。" in result.err
    rows.pop()
    assert cli("build", write_workbook(tmp_path / "ok.xlsx", activities=rows), "-o",
               tmp_path / "ok.docx").code == 0


@pytest.mark.slow  # a child process
def test_importing_the_cli_leaves_argparse_alone():
    """Only reportgen's own parser speaks Chinese; another program's argparse keeps its language."""
    script = ("import argparse; original = argparse._\n"
              "import reportgen.cli\n"
              "assert argparse._ is original, 'argparse patched at import'\n"
              "try:\n    reportgen.cli.main(['--version'])\nexcept SystemExit as end:\n    assert end.code == 0\n"
              "assert argparse._ is original, 'argparse left patched after main'\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_argparse_is_restored_after_reportgen_parses(cli):
    original = argparse._
    assert "無法辨識的參數：--colour" in cli("build", "--colour").err
    assert "用法：reportgen" in cli("--help").out
    assert argparse._ is original
    other = argparse.ArgumentParser(prog="other")
    assert other.format_usage().startswith("usage: other")
    assert "show this help message and exit" in other.format_help()


def test_usage_errors_are_chinese(cli):
    result = cli("build", "-o")
    assert result.code == 2
    assert result.err.startswith("用法：reportgen build")
    assert "reportgen build：錯誤：參數 -o/--output：需要一個值" in result.err


def test_build_and_preview_go_through_the_api(project, cli, monkeypatch):
    """The CLI is a front end over reportgen.api, like the web page: one path to the chapter."""
    from reportgen import api

    calls = []

    def spy(name):
        real = getattr(api, name)

        def call(*args):
            calls.append(name)
            return real(*args)
        monkeypatch.setattr(api, name, call)

    for name in ("template_findings", "render_docx", "preview_text"):
        spy(name)
    assert cli("build").code == 0
    assert cli("preview").code == 0
    assert calls == ["template_findings", "render_docx", "preview_text"]


@pytest.mark.slow  # seconds of the default run's budget: CI runs it
def test_preview_on_a_big5_console_says_which_characters_it_cannot_show(tmp_path):
    """菓 (U+83D3) is not in cp950: the console prints ?, and says so, rather than changing the
    chapter unseen; a UTF-8 console says nothing."""
    env = {**os.environ, "PYTHONIOENCODING": "cp950"}
    shown = subprocess.run([sys.executable, "-m", "reportgen", "preview", str(EXAMPLE)], capture_output=True,
                           env=env, cwd=tmp_path)
    assert shown.returncode == 0
    assert "日本和?子文化講座".encode("cp950") in shown.stdout
    assert "U+83D3" in shown.stderr.decode("cp950")
    utf8 = subprocess.run([sys.executable, "-m", "reportgen", "preview", str(EXAMPLE)], capture_output=True,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"}, cwd=tmp_path)
    assert "菓" in utf8.stdout.decode() and utf8.stderr == b""


def test_init_from_a_validation_report_names_it(tmp_path):
    report = tmp_path / "檢核報告.xlsx"
    assert run_cli("validate", EXAMPLE, "--report", report).code == 0
    result = run_cli("init", tmp_path / "新.xlsx", "--from", report)
    assert result.code == 2 and "是 reportgen 的檢核報告" in result.err
    assert "找不到工作表" not in result.err and not (tmp_path / "新.xlsx").exists()

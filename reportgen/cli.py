"""The `reportgen` command: thin commands over the pipeline, messages in Traditional Chinese."""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from . import __version__
from .errors import EXIT_FATAL, EXIT_INPUT, EXIT_INTERRUPTED, EXIT_OK, FatalError, Terminated

if TYPE_CHECKING:
    from .check.validate import Outcome

EXIT_BROKEN_PIPE = 141  # as a shell reports a command ended by SIGPIPE

# argparse is localized through gettext; these are the strings it shows users.
_ARGPARSE_TEXT = {
    "usage: ": "用法：",
    "options": "選項",
    "positional arguments": "參數",
    "show this help message and exit": "顯示說明後結束",
    "show program's version number and exit": "顯示版本後結束",
    "%(prog)s: error: %(message)s\n": "%(prog)s：錯誤：%(message)s\n",
    "unrecognized arguments: %s": "無法辨識的參數：%s",
    "the following arguments are required: %s": "缺少必要的參數：%s",
    "expected one argument": "需要一個值",
    "argument %(argument_name)s: %(message)s": "參數 %(argument_name)s：%(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": "無效的選擇：%(value)r（可選：%(choices)s）",
    "ambiguous option: %(option)s could match %(matches)s": "選項不明確：%(option)s 可能是 %(matches)s",
    "ignored explicit argument %r": "此選項不接受值：%r",
    "expected at least one argument": "需要至少一個值",
    "not allowed with argument %s": "不能與參數 %s 同時使用",
    "invalid %(type)s value: %(value)r": "無效的值：%(value)r",
}


def _port(text: str) -> int:
    """`serve --port`: a whole number, said in Chinese (argparse's `type=int` says it in English);
    the server says which numbers are ports."""
    value = text.strip()
    if not value.isascii() or not value.isdigit():
        raise argparse.ArgumentTypeError(f"連接埠須為 1 到 65535 的整數，不是「{text}」")
    return int(value)


@contextlib.contextmanager
def _chinese_argparse() -> Iterator[None]:
    """argparse speaks through its module's gettext `_`: translated only while reportgen's parser runs.

    Patched for the moment `main` builds and uses its parser, so any other program's argparse in
    the same process (pytest's own, an embedding tool's) keeps its own language.
    """
    original = argparse._  # type: ignore[attr-defined]
    argparse._ = lambda text: _ARGPARSE_TEXT.get(text) or original(text)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._ = original  # type: ignore[attr-defined]


class _Parser(argparse.ArgumentParser):
    """argparse with the one message Python 3.10 formats without gettext translated too."""

    commands: dict[str, argparse.ArgumentParser]  # the top-level parser's: each command's parser, by name

    def error(self, message: str) -> NoReturn:
        if message.startswith("argument ") and ": " in message:  # 3.10: 'argument -o/--output: …'
            name, _, rest = message[len("argument "):].partition(": ")
            message = _ARGPARSE_TEXT["argument %(argument_name)s: %(message)s"] % {
                "argument_name": name, "message": rest}
        super().error(message)


@functools.cache
def _parser() -> argparse.ArgumentParser:
    """The command line's parser, made once a process (parsing never changes it; `main` may be
    called many times, by tests and other programs). Made, like used, under _chinese_argparse."""
    parser = _Parser(
        prog="reportgen",
        description="將承辦人填寫的 Excel 活頁簿編成施政報告「國際事務」章的 Word 文件。")
    parser.add_argument("--version", action="version", version=f"reportgen {__version__}", help="顯示版本後結束")
    commands = parser.add_subparsers(dest="command", metavar="指令", title="指令")

    inputs = argparse.ArgumentParser(add_help=False)
    inputs.add_argument("inputs", nargs="*", type=Path, metavar="INPUT", default=[Path("inputs")],
                        help="活頁簿或資料夾（資料夾內所有 .xlsx/.xlsm/.ods），預設 inputs/")
    inputs.add_argument("--strict", action="store_true", help="警告也視為錯誤")

    build = commands.add_parser("build", parents=[inputs], help="檢核並產生 Word 文件",
                                description="檢核活頁簿，沒有錯誤時產生本章的 Word 文件。")
    build.add_argument("-o", "--output", type=Path, metavar="FILE",
                       help="輸出檔，預設 outputs/<章名>.docx")
    build.add_argument("--template", type=Path, metavar="FILE",
                       help="Word 範本，預設 templates/report.docx（沒有時用內建範本）")
    build.add_argument("--pdf", action="store_true", help="另以 LibreOffice 轉出 PDF（與 .docx 同名同資料夾）")
    build.add_argument("--odt", action="store_true", help="另以 LibreOffice 轉出 ODF 文字文件（.odt）")
    build.add_argument("--force", action="store_true",
                       help="輸出檔在產生後曾被修改（或不是 reportgen 產生的）時，仍以新版取代")
    build.set_defaults(run=_build)

    validate = commands.add_parser("validate", parents=[inputs], help="只檢核，列出所有問題",
                                   description="檢核活頁簿並列出所有錯誤與警告（含儲存格位置）。")
    validate.add_argument("--report", type=Path, metavar="FILE.xlsx",
                          help="另存一份檢核報告：活頁簿的複本，問題儲存格標色（紅：錯誤，黃：警告）"
                          "並加註解，第一個工作表列出所有問題與連結")
    validate.add_argument("--force", action="store_true",
                          help="檢核報告檔在產生後曾被修改（或不是 reportgen 產生的）時，仍以新的報告取代")
    validate.set_defaults(run=_validate)

    preview = commands.add_parser("preview", parents=[inputs], help="在終端機預覽本章文字",
                                  description="以純文字印出本章，每段一行。")
    preview.set_defaults(run=_preview)

    init = commands.add_parser("init", help="產生空白活頁簿",
                               description="產生一本新的空白活頁簿（含填寫說明、下拉選單與檢核），不會覆寫既有檔案。")
    init.add_argument("file", type=Path, metavar="FILE", help="新活頁簿的檔名（.xlsx）")
    init.add_argument("--period", metavar="起-迄",
                      help="報告期間，例如 111/1/1-111/6/30；預設為今天所在的半年")
    init.add_argument("--from", dest="source", type=Path, metavar="OLD.xlsx",
                      help="沿用舊活頁簿的報告設定（期間順延半年）與章節")
    init.set_defaults(run=_init)

    chapter = commands.add_parser("import", help="把已出版的一章轉回活頁簿",
                                  description="讀取已出版的一章（Word 文件 .docx，或從 PDF 複製、"
                                  "一行一段的 UTF-8 .txt），產生一本活頁簿；"
                                  "再以 reportgen build 產生，段落與原文相同。不會覆寫既有檔案。")
    chapter.add_argument("chapter", type=Path, metavar="CHAPTER", help="已出版的一章（.docx 或 .txt）")
    chapter.add_argument("-o", "--output", type=Path, metavar="WORKBOOK.xlsx", required=True,
                         help="要產生的活頁簿（.xlsx，不可是既有檔案）")
    chapter.add_argument("--period", metavar="起-迄",
                         help="報告期間，例如 101/7/1-101/12/31；預設由內文日期最多的半年判斷")
    chapter.set_defaults(run=_import)

    serve = commands.add_parser("serve", help="以網頁提供檢核與產生（給不用終端機的同仁）",
                                description="啟動網頁：上傳活頁簿、查看每個問題所在的儲存格與本章預覽，下載 Word、"
                                "檢核報告、PDF 與空白活頁簿。預設只有本機能開啟；其他位址需要存取碼。")
    serve.add_argument("--host", default="127.0.0.1",
                       help="接受連線的位址，預設 127.0.0.1（只限本機）；0.0.0.0 開放給辦公室網路（需存取碼）")
    serve.add_argument("--port", type=_port, default=8000, help="連接埠，預設 8000")
    serve.set_defaults(run=_serve)
    template = commands.add_parser("template", help="檢查 Word 範本",
                                   description="檢查 Word 範本（.docx 或 .dotx）的樣式、紙張、語言、字型、"
                                   "凸排與定位點，以及會被帶進每一章的部分。缺少樣式時結束代碼為 2。")
    template.add_argument("file", type=Path, nargs="?", metavar="FILE",
                          help="範本檔，預設為 build 會使用的範本（templates/report.docx，沒有時用內建範本）")
    template.set_defaults(run=_template)
    parser.commands = commands.choices  # type: ignore[assignment]
    return parser


def _load(args: argparse.Namespace, *, problems_to=None, refusal: str | None = "未產生檔案",
          keep_grids: bool = False):
    """Validate the inputs and print problems; returns the outcome and whether to go on."""
    from . import progress
    from .api import load

    with progress.tracking() as bar:  # drawn only on a terminal, and only if the run is long
        outcome = load(args.inputs, progress=bar, keep_grids=keep_grids)
    if _LEFT_TO_EXIT is not None:
        _LEFT_TO_EXIT.append(outcome)
    stream = problems_to or sys.stderr
    for problem in outcome.problems.sorted():
        print(problem.render(), file=stream)
    blocking = outcome.problems.errors or (args.strict and outcome.problems.warnings)
    if blocking:
        reason = "（--strict：警告視為錯誤）" if not outcome.problems.errors else ""
        if refusal is not None:
            print(f"{outcome.problems.summary()}{reason}，{refusal}。", file=stream)
    return outcome, not blocking


def _build(args: argparse.Namespace) -> int:
    from . import api
    from .write.outputs import DOCX, check_copies, check_output, check_template_file, write_atomic

    template_path = _template_path(args.template)
    check_template_file(template_path)
    kinds = [k for k in ("pdf", "odt") if getattr(args, k)]
    check = {"inputs": args.inputs, "template": template_path, "force": args.force}
    if args.output is not None:  # refused before any work; the default name needs the 章名
        check_output(args.output, DOCX, **check)
        check_copies(args.output, kinds, **check)
    outcome, ok = _load(args)
    if not ok:
        return EXIT_INPUT
    warnings = _check_build_template(outcome, template_path, strict=args.strict)
    output = args.output or _default_output(outcome.report.settings)
    check_output(output, DOCX, **check)
    replace_copies = check_copies(output, kinds, **check)  # decided while the old .docx is still there
    write_atomic(output, api.render_docx(outcome, template_path))
    print(f"已產生 {output}")
    print(api.summary(outcome, template_warning_count=warnings))
    if kinds:
        from .write.convert import convert, pdf_font_warning

        if args.pdf and (font_warning := pdf_font_warning()):
            print(font_warning, file=sys.stderr)

        for copy in convert(output, kinds, replace=replace_copies):
            print(f"已產生 {copy}")
    return EXIT_OK


def _check_build_template(outcome: Outcome, template: Path, *, strict: bool) -> int:
    """`build --template` runs `reportgen template`'s check: every missing style, then the
    warnings, printed in its words; a missing style stops the build (exit 2), and so does a
    warning under --strict. Returns the number of warnings printed (the summary counts them)."""
    from . import api
    from .write.template_check import blocking

    findings = api.template_findings(outcome, template)
    for finding in findings:
        print(finding.render(template), file=sys.stderr)
    if blocking(findings):
        raise FatalError(f"範本 {template} 缺少必要的樣式，無法用來產生本章。")
    if strict and findings:
        raise FatalError(f"範本 {template} 有警告 {len(findings)} 項（--strict：警告視為錯誤），未產生檔案。"
                         "請依上列說明修改範本，或不加 --strict 執行。")
    return len(findings)


def _default_output(settings) -> Path:
    """outputs/<章名>.docx (a 章名 of dots alone, such as `..`, gives outputs/第26章.docx); a 章名
    too long for a file name says so, and how to choose one (-o)."""
    from .write.outputs import check_name_length, safe_file_title

    output = Path("outputs") / f"{safe_file_title(settings.title, f'第{settings.chapter}章')}.docx"
    try:
        check_name_length(output)
    except FatalError:
        raise FatalError(f"預設的輸出檔名取自章名「{settings.title[:20]}…」，但章名太長，無法當作檔名。"
                         "請以 -o 指定較短的檔名，例如 -o outputs/國際事務.docx。") from None
    return output


def _template(args: argparse.Namespace) -> int:
    from .write.outputs import check_template_file
    from .write.template_check import blocking, check_template

    path = _template_path(args.file)
    check_template_file(path, otherwise="不指定檔案，檢查 build 會用的範本")
    findings = sorted(check_template(path), key=lambda finding: not finding.blocking)  # as build prints them
    for finding in findings:
        print(finding.render(path))
    if blocking(findings):
        print(f"範本 {path} 缺少必要的樣式，無法用來產生本章。")
        return EXIT_FATAL
    warnings = len(findings)
    print(f"範本 {path} 檢查完成：" + (f"警告 {warnings} 項，仍可使用。" if warnings else "沒有問題。"))
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    if args.report is not None:  # refused before any work
        from .write.outputs import REPORT, check_output

        check_output(args.report, REPORT, inputs=args.inputs, force=args.force)
    outcome, ok = _load(args, problems_to=sys.stdout, refusal=None, keep_grids=args.report is not None)
    strict = "（--strict：警告視為錯誤）" if not ok and not outcome.problems.errors else ""
    print(f"檢核完成：{outcome.problems.summary()}{strict}。")
    if outcome.report is not None:
        from .api import summary

        print(summary(outcome))
    if args.report is not None:
        from .write.outputs import REPORT, check_output, write_atomic
        from .write.report_xlsx import report_bytes

        data = report_bytes(args.inputs, outcome.problems, outcome.sources)
        check_output(args.report, REPORT, inputs=args.inputs, force=args.force)  # again: edited meanwhile?
        write_atomic(args.report, data)
        print(f"已產生檢核報告 {args.report}")
    return EXIT_OK if ok else EXIT_INPUT


def _preview(args: argparse.Namespace) -> int:
    from .api import preview_text

    outcome, ok = _load(args, refusal="無法預覽本章")
    if not ok:
        return EXIT_INPUT
    text = preview_text(outcome)
    sys.stdout.write(text)
    _note_unshown(text, sys.stdout, sys.stderr)
    return EXIT_OK


def _note_unshown(text: str, out, err) -> None:
    """Characters the console cannot show (a Big5 console and 菓) print as ?: said, with their code
    points, so that nothing in the chapter changes unseen (the Word document keeps them)."""
    encoding = getattr(out, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
        return
    except (UnicodeEncodeError, LookupError):
        pass
    unshown = sorted({c for c in text if not _encodes(c, encoding)})
    if unshown:
        codes = "、".join(f"U+{ord(c):04X}" for c in unshown[:10]) + ("…" if len(unshown) > 10 else "")
        print(f"注意：這個終端機（{encoding}）無法顯示 {len(unshown)} 種字（{codes}），以「?」代替；"
              "產生的 Word 文件不受影響。", file=err)


def _encodes(char: str, encoding: str) -> bool:
    try:
        char.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _init(args: argparse.Namespace) -> int:
    from .api import create_workbook

    outcome = create_workbook(args.file, period=args.period, source=args.source)
    for problem in outcome.problems.sorted():
        print(problem.render(), file=sys.stderr)
    if outcome.path is None:
        print(f"{args.source} 的報告設定或章節有錯誤（{outcome.problems.summary()}），未產生檔案。",
              file=sys.stderr)
        return EXIT_INPUT
    print(outcome.summary())
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    from .api import import_chapter

    outcome = import_chapter(args.chapter, args.output, period=args.period)
    for problem in outcome.problems.sorted():
        print(problem.render(), file=sys.stderr)
    print(outcome.summary())
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    from .web.server import run

    return run(args.host, args.port)


def _template_path(option: Path | None) -> Path:
    from .api import default_template

    return option if option is not None else default_template()


# The outcomes a `reportgen` process reads, kept until it ends (see `run`); None in a library caller.
_LEFT_TO_EXIT: list[object] | None = None


def run() -> NoReturn:
    """The `reportgen` command: `main`, then the process ends without freeing what it read.

    A checked report of 100,000 rows is half a million small objects; freeing them one by one,
    and then Python's own teardown, take 0.3 s after the work is done, while the system takes a
    process's memory back at once. So the outcomes are kept (`_LEFT_TO_EXIT`), the output streams
    flushed and the process ends with `os._exit`. For the same reason every command but `serve`
    runs without the cyclic garbage collector: its full collections walk those objects again and
    again while none of them is garbage; whatever reference cycle a command leaves goes at exit
    (peak memory at 100,000 rows is the same, bench/run.py measures it). Nothing is left to do at exit: every file is
    written and closed (`output.write_atomic`), temporary folders are removed by their `with`
    blocks, and reportgen registers no atexit handler. `main` itself, which tests and other
    programs call, returns normally.
    """
    global _LEFT_TO_EXIT
    _LEFT_TO_EXIT = []
    _no_pydantic_plugin_search()
    code = main()
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with the descriptor closed (`>&-`, pythonw): nothing to flush
            continue
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`reportgen preview | head`): nothing more to say
            code = code or EXIT_BROKEN_PIPE
    os._exit(code)


def _no_pydantic_plugin_search() -> None:
    """Spare the first model class pydantic's search for plugins: 10–15 ms, a tenth of `validate`.

    pydantic builds every model's validator through `pydantic.plugin._loader.get_plugins()`; that
    module imports importlib.metadata (email, csv, socket with it) to scan each installed package's
    entry points, once a process. The `reportgen` command uses no pydantic plugin, so in its own
    process the models are built as with pydantic's `PYDANTIC_DISABLE_PLUGINS=__all__`, without
    importing the loader: a stand-in that answers "no plugins". Only here, in the command's process:
    a program importing reportgen as a library keeps pydantic's plugins. Left alone when the loader
    is already loaded, or when PYDANTIC_DISABLE_PLUGINS names plugins to leave out (a deliberate
    choice of the others). tests/test_fast_paths.py holds this to pydantic's behaviour."""
    name = "pydantic.plugin._loader"
    if name in sys.modules or os.environ.get("PYDANTIC_DISABLE_PLUGINS", "__all__") not in ("__all__", "1", "true"):
        return
    from importlib.machinery import ModuleSpec
    from types import ModuleType

    loader = ModuleType(name, "No pydantic plugins (reportgen.cli._no_pydantic_plugin_search).")
    loader.__spec__ = ModuleSpec(name, None)
    loader.get_plugins = tuple  # type: ignore[attr-defined]  # get_plugins() -> (): no plugins
    sys.modules[name] = loader


# Signals that end a one-shot command: each is raised as Terminated, so cleanup runs (see errors).
_STOPPING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
_SIGNAL_NAMES = {getattr(signal, "SIGTERM", -1): "SIGTERM（結束）",
                 getattr(signal, "SIGHUP", -1): "SIGHUP（終端機關閉）"}


def _stop(signum: int, frame: object) -> None:
    for other in _STOPPING:  # cleanup must not itself be cut short by a second signal
        signal.signal(other, signal.SIG_IGN)
    raise Terminated(signum)


@contextlib.contextmanager
def _signals_stop_cleanly(command: str | None) -> Iterator[None]:
    """While a one-shot command runs, SIGTERM and SIGHUP unwind it like Ctrl+C instead of killing
    the process where it stands (which would leave a temporary file or LibreOffice behind).
    `serve` keeps uvicorn's own handling; the previous handlers come back afterwards."""
    if command == "serve" or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.getsignal(number) for number in _STOPPING}
    for number in _STOPPING:
        signal.signal(number, _stop)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextlib.contextmanager
def _own_temporary_folder(args: argparse.Namespace) -> Iterator[None]:
    """openpyxl writes each sheet through a temporary file of its own, removed when the workbook is
    saved or at exit (atexit, which run()'s os._exit skips): a command cut short by a signal or a
    full disk would leave them, full of cell text, in the system's temporary folder (SPEC §6: no
    temporary file is left behind). So these commands make their temporary files in a folder of
    their own, removed on the way out whatever ends the command."""
    if not (args.command in ("init", "import") or (args.command == "validate" and args.report is not None)):
        yield  # no workbook written: no folder (nor tempfile's import) for nothing
        return
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="reportgen-")
    previous, tempfile.tempdir = tempfile.tempdir, folder
    try:
        yield
    finally:
        tempfile.tempdir = previous
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    code = EXIT_INTERRUPTED
    try:
        return _main(argv)
    except KeyboardInterrupt as exc:  # Ctrl+C anywhere, even before a command starts
        _quiet_after_interrupt()  # before the traceback, and the writers it holds, is let go
        note = str(exc)
        if isinstance(exc, Terminated):
            code = exc.exit_code
            note = f"（收到 {_SIGNAL_NAMES.get(exc.signum, f'訊號 {exc.signum}')}）{note}"
    gc.collect()  # the abandoned writers go now, while nobody listens
    print(f"已中斷。{note}", file=sys.stderr)
    return code


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """parse_args, except that an argument a command does not know is reported with that
    command's usage (`reportgen build --bogus` shows build's options), as argparse does for a
    command's other mistakes; one given before the command gets the top-level usage."""
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        command = getattr(parser, "commands", {}).get(args.command)
        given_after = (command is not None and args.command in argv and unknown[0] in argv
                       and argv.index(args.command) < argv.index(unknown[0]))
        (command if given_after else parser).error(
            argparse._("unrecognized arguments: %s") % " ".join(unknown))  # type: ignore[attr-defined]
    return args


def _main(argv: Sequence[str] | None) -> int:
    for stream in (sys.stdout, sys.stderr):  # a Big5 console must not crash on rare characters
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    with _chinese_argparse():
        parser = _parser()
        args = _parse(parser, sys.argv[1:] if argv is None else list(argv))
        if not getattr(args, "run", None):
            parser.print_help()
            return EXIT_FATAL
    if _LEFT_TO_EXIT is not None and args.command != "serve":
        gc.disable()  # a command that ends once its files are written: see run()
    try:
        with _signals_stop_cleanly(args.command), _own_temporary_folder(args):
            return args.run(args)
    except FatalError as exc:
        print(f"錯誤：{exc.format_message()}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # `reportgen preview | head`: the reader left; stop quietly, like other tools
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except OSError as exc:  # a path failure no check foresaw: still its reason, in Chinese
        from .errors import os_reason

        if os.environ.get("REPORTGEN_DEBUG"):
            raise
        where = f"無法存取 {exc.filename}：" if exc.filename else ""
        print(f"錯誤：{where}{os_reason(exc)}。", file=sys.stderr)
        return EXIT_FATAL
    except Exception as exc:
        if os.environ.get("REPORTGEN_DEBUG"):
            raise
        print(f"內部錯誤：{type(exc).__name__}: {exc}\n"
              "這是 reportgen 的問題，不是您的資料；請設定 REPORTGEN_DEBUG=1 重新執行，"
              "並將訊息提供給維護人員。", file=sys.stderr)
        return EXIT_FATAL


def _quiet_after_interrupt() -> None:
    """After Ctrl+C, half-finished writers (openpyxl's, lxml's) complain when collected; not to staff."""
    import threading

    sys.unraisablehook = lambda unraisable: None
    threading.excepthook = lambda args: None


if __name__ == "__main__":
    sys.exit(main())

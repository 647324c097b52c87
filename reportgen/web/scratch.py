"""The server's one private folder for temporary files, removed when it stops, whatever stops it.

Each check copies its uploads into a folder of its own and removes it when done; but a check
still running when the server is stopped (Ctrl-C, SIGTERM, a closed terminal) would leave its
copy, and openpyxl's own temporary files (one per sheet it writes, full of cell text), behind.
So `reportgen serve` points the whole process's temporary folder (tempfile.tempdir, and TMPDIR
for LibreOffice) at one folder that only this user can open, and removes the folder on the way
out: whatever a worker thread was writing goes with it, and no file can be made in it after.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

log = logging.getLogger("reportgen.web")
_ENVIRONMENT = ("TMPDIR", "TEMP", "TMP")


class Scratch:
    """A folder made with mode 0700 under the system's temporary folder.

    `process_wide`: every temporary file of this process (and of the programs it starts) goes
    into it; only `reportgen serve`, which owns its process, asks for that.
    """

    def __init__(self, process_wide: bool = False) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="reportgen-serve-"))
        self.process_wide = process_wide
        self._previous: tuple[str | None, dict[str, str | None]] | None = None
        if process_wide:
            self._previous = (tempfile.tempdir, {name: os.environ.get(name) for name in _ENVIRONMENT})
            tempfile.tempdir = str(self.path)
            for name in _ENVIRONMENT:
                os.environ[name] = str(self.path)

    @property
    def removed(self) -> bool:
        return not self.path.exists()

    def remove(self) -> None:
        """Stop the programs this process started (LibreOffice), then remove the folder.

        Called on shutdown, possibly more than once. A worker thread may still be writing in it:
        removal is retried until the folder is gone, and once it is gone nothing can be made in it.
        Only a process-wide scratch stops child processes: in a test run they are the test's own.
        """
        if self.process_wide:
            _stop_children()
            _remove_office_pipes(self.path)
        for attempt in range(50):
            try:
                shutil.rmtree(self.path)
            except OSError:  # a thread made a file, or removed one, while the tree was walked: again
                if not os.path.lexists(self.path):  # a file that vanished is no reason to stop early
                    break
                time.sleep(0.02 * min(attempt + 1, 5))
                continue
            break
        if self.path.exists():
            log.error("無法刪除暫存資料夾 %s", self.path)
        if self._previous is not None:
            tempfile.tempdir, environment = self._previous
            for name, value in environment.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            self._previous = None


def _remove_office_pipes(folder: Path) -> None:
    """The sockets of the LibreOffice sessions _stop_children just killed: their profiles are in
    the scratch folder, and a conversion thread cut short never reaches its own clean-up."""
    from ..write.convert import remove_office_pipes

    for profile in folder.glob("reportgen-soffice-*/profile"):
        remove_office_pipes(profile)


def _stop_children() -> None:
    """Kill the processes this one started and that still run (a PDF conversion's LibreOffice).

    convert.py starts soffice in a process group of its own; a conversion abandoned by shutdown
    would otherwise go on writing the chapter into a folder that is being removed. Linux lists a
    process's children in /proc; elsewhere the conversion's own time limit ends it.
    """
    tasks = Path(f"/proc/{os.getpid()}/task")
    if not tasks.is_dir():
        return
    children: set[int] = set()
    for task in tasks.iterdir():
        with contextlib.suppress(OSError, ValueError):
            children.update(int(pid) for pid in (task / "children").read_text().split())
    for pid in children:
        with contextlib.suppress(OSError):
            if os.getpgid(pid) == pid:
                os.killpg(pid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)

"""How the page refuses: one exception with its HTTP status and a Chinese message, shown as a page."""

from __future__ import annotations

from starlette.exceptions import HTTPException

from ..errors import EXIT_FATAL, EXIT_INPUT, EXIT_INTERRUPTED, FatalError

# FatalError.exit_code (the CLI's exit status) as the page's answer: the upload or the template
# cannot be used (422); a run interrupted because the server stops (503).
HTTP_STATUS = {EXIT_INPUT: 422, EXIT_FATAL: 422, EXIT_INTERRUPTED: 503}


class Refused(HTTPException):
    """A request the page cannot serve; `message` says why and what to do, in Chinese."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, message, headers)
        self.message = message


def status_of(error: FatalError) -> int:
    return HTTP_STATUS.get(error.exit_code, 422)

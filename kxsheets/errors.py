"""One exception type for everything kxsheets refuses to do.

Every refusal carries a stable kebab-case code (documented in docs/codes.md) and a Chinese
message that names the file (and where it can, the sheet and cell or YAML path). The CLI turns
it into one red line and exit code 1; it never shows a traceback for a KxError.
"""

from __future__ import annotations


class KxError(Exception):
    """A refusal the user can act on: stable ``code``, Chinese ``message``, optional ``hint``."""

    def __init__(self, code: str, message: str, *, hint: str = "", path: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
        self.path = path

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        tail = f"（{self.hint}）" if self.hint else ""
        return f"[{self.code}] {where}{self.message}{tail}"

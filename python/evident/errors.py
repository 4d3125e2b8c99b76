"""The exceptions evident raises. ``str(e)`` is exactly the message the
command line prints for the same mistake (for a statement: the statement,
a caret under the mistake, its line and column, a "did you mean")."""

from __future__ import annotations

from typing import Optional


class Error(Exception):
    """Anything evident refuses or fails at.

    ``line`` and ``column`` (1-based, the column in characters) say where in
    the statement the mistake is and ``help`` what was probably meant; each
    is ``None`` where it does not apply.
    """

    def __init__(
        self,
        message: str,
        line: Optional[int] = None,
        column: Optional[int] = None,
        help: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.help = help

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class QueryError(Error):
    """A statement that does not parse or cannot run: an unknown field, a
    value of the wrong type, a misspelt keyword."""


class DataError(Error):
    """Data refused: an invalid import (every bad line named, nothing
    imported) or a write the rules refuse."""


class DatabaseError(Error):
    """The database itself: missing, closed, held by another process,
    damaged, of another format version, or a file that could not be read
    or written."""

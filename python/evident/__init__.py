"""evident: an embedded database of claims and the evidence for and against
them, from Python.

    >>> import evident
    >>> with evident.open("claims.evident") as db:
    ...     db.import_jsonl("fixtures/seed.jsonl")
    ...     db.query("claims where status = verified select id, confidence").to_pandas()

The engine is the same as the ``evident`` command's (``evident._native``, a
compiled module); results, messages and errors are the command line's.
"""

from __future__ import annotations

import datetime
import gzip
import io
import json
import math
import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Union

from . import _native
from ._result import Result
from .errors import DatabaseError, DataError, Error, QueryError

__all__ = [
    "open",
    "Database",
    "Result",
    "ImportReport",
    "Error",
    "QueryError",
    "DataError",
    "DatabaseError",
]

PathLike = Union[str, "os.PathLike[str]"]

_KINDS = ("sources", "claims", "evidence", "results")


def open(path: PathLike, *, create: bool = True) -> "Database":  # noqa: A001 (like io.open)
    """Opens the database at ``path`` (a directory), creating it if missing
    unless ``create=False``.

    Use it as a context manager, or call ``close()``: either frees the
    database at once, so the ``evident`` command can open it. The lock is
    also freed when the interpreter or the notebook's kernel dies.
    """
    return Database(path, create=create)


def _path_text(path: Any, what: str) -> str:
    if isinstance(path, (bytes, bytearray)):
        raise TypeError(f"{what} must be a str or os.PathLike, not bytes")
    try:
        text = os.fspath(path)
    except TypeError:
        raise TypeError(
            f"{what} must be a str or os.PathLike, not {type(path).__name__}"
        ) from None
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str or os.PathLike, not bytes")
    return text


class ImportReport:
    """What an import did: records ``read``, ``added`` and ``replaced`` by
    kind (``sources``, ``claims``, ``evidence``, ``results``), how many were
    ``unchanged``, and with ``skip_invalid`` the lines ``skipped`` (each a
    dict of ``line``, ``field``, ``reason``; ``skipped_total`` counts all)."""

    def __init__(self, name: str, native: Mapping[str, Any]) -> None:
        self.name = name
        self.read: Dict[str, int] = dict(native["read"])
        self.added: Dict[str, int] = dict(native["added"])
        self.replaced: Dict[str, int] = dict(native["replaced"])
        self.unchanged: int = native["unchanged"]
        self.skipped: List[Dict[str, Any]] = list(native["skipped"])
        self.skipped_total: int = native["skipped_total"]

    def __str__(self) -> str:
        """The command line's summary line (without the timing)."""
        singular = {"sources": "source", "claims": "claim", "evidence": "evidence", "results": "result"}
        read = ", ".join(
            f"{n} {singular[k] if n == 1 else k}" for k, n in self.read.items() if n > 0
        )
        added = sum(self.added.values())
        replaced = sum(self.replaced.values())
        return (
            f"{self.name}: {read or 'nothing'} read; {added} added, {replaced} replaced, "
            f"{self.unchanged} unchanged"
        )

    def __repr__(self) -> str:
        return f"<evident.ImportReport {self}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ImportReport):
            return NotImplemented
        fields = ("read", "added", "replaced", "unchanged", "skipped", "skipped_total")
        return all(getattr(self, f) == getattr(other, f) for f in fields)


def _bindable(name: str, value: Any) -> Any:
    """A keyword parameter as a typed JSON value (never as text spliced into
    the statement)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise TypeError(f"parameter {name!r}: {value} is not a number evident can store")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime.datetime):
        raise TypeError(
            f"parameter {name!r}: a datetime is not a value evident stores; pass a datetime.date"
        )
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_bindable(name, item) for item in value]
    raise TypeError(
        f"parameter {name!r}: a {type(value).__name__} is not a value evident can bind "
        "(use str, int, float, bool, None, datetime.date, or a list of them)"
    )


def _record_json(record: Any, number: int) -> str:
    if not isinstance(record, Mapping):
        raise TypeError(
            f"record {number}: import_records takes dicts, not {type(record).__name__}"
        )

    def plain(value: Any) -> Any:
        if isinstance(value, (datetime.date, datetime.datetime)):
            return value.isoformat()
        raise TypeError(
            f"record {number}: a {type(value).__name__} is not a JSON value"
        )

    return json.dumps(record, default=plain, ensure_ascii=False)


class Database:
    """An open evident database; see :func:`evident.open`.

    Every call runs without the GIL, so other Python threads go on, and
    Ctrl-C (``KeyboardInterrupt``) stops the running statement and leaves
    the database usable. One ``Database`` may be used from several threads.
    """

    def __init__(self, path: PathLike, *, create: bool = True) -> None:
        self._path = _path_text(path, "path")
        self._native = _native.Database(self._path, create)

    @property
    def path(self) -> str:
        """The database's directory, as given to ``open``."""
        return self._path

    @property
    def holder(self) -> Optional[str]:
        """Where the process holding the database answers (an ``evident
        serve`` or an open ``evident repl``), when this ``Database`` works
        through it; ``None`` when the database is open in this process."""
        return self._native.holder

    @property
    def closed(self) -> bool:
        return self._native.closed

    def close(self) -> None:
        """Closes the database and frees it for other processes. Calls after
        it raise :class:`DatabaseError`; a second ``close()`` does nothing."""
        self._native.close()

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<evident.Database {self._path!r} ({state})>"

    # -- statements -----------------------------------------------------

    def query(self, text: str, **params: Any) -> Result:
        """Runs one statement and returns its rows as a :class:`Result`.

        Keyword arguments bind the statement's ``$name`` parameters as typed
        values (str, int, float, bool, None, ``datetime.date``, or lists of
        them): ``db.query("claims where subject = $s", s="SpaceX")``.
        """
        return self._run(text, params, one=True)[0]

    def run(self, script: str, **params: Any) -> List[Result]:
        """Runs a script of statements separated by ``;`` and returns one
        :class:`Result` per statement. It stops at the first failing
        statement: what the statements before it wrote is kept, as on the
        command line."""
        return self._run(script, params, one=False)

    def _run(self, text: Any, params: Mapping[str, Any], one: bool) -> List[Result]:
        if not isinstance(text, str):
            raise TypeError(
                f"a statement must be a str, not {type(text).__name__}"
            )
        bound = {name: _bindable(name, value) for name, value in params.items()}
        params_json = json.dumps(bound) if bound else None
        return [Result(out) for out in self._native.run(text, one, params_json)]

    def explain(self, claim_id: str) -> Dict[str, Any]:
        """Why a claim has its status: the ``explain`` statement's row as a
        dict (status, confidence, rule, why, and each piece of evidence with
        its weight)."""
        if not isinstance(claim_id, str):
            raise TypeError(f"a claim id must be a str, not {type(claim_id).__name__}")
        result = self.query("explain $id", id=claim_id)
        return result[0]

    # -- data in and out ------------------------------------------------

    def import_jsonl(self, source: Any, *, skip_invalid: bool = False) -> ImportReport:
        """Imports JSON Lines (SPEC section 3) from a path (``.gz`` too) or a
        file object opened in text or binary mode. Atomic: a file with any
        invalid line imports nothing and raises :class:`DataError` naming
        every bad line, unless ``skip_invalid=True``."""
        if hasattr(source, "read"):
            data = source.read()
            if isinstance(data, str):
                data = data.encode("utf-8")
            if not isinstance(data, (bytes, bytearray)):
                raise TypeError("the file object's read() gave neither str nor bytes")
            name = str(getattr(source, "name", "<input>"))
            return self._import_bytes(bytes(data), name, skip_invalid)
        path = _path_text(source, "import_jsonl's source")
        with io.open(path, "rb") as probe:
            gzipped = probe.read(2) == b"\x1f\x8b"
        if gzipped:
            with gzip.open(path, "rb") as unzipped:
                return self._import_bytes(unzipped.read(), path, skip_invalid)
        report = self._native.import_file(path, path, skip_invalid)
        return ImportReport(path, report)

    def import_records(
        self, records: Iterable[Mapping[str, Any]], *, skip_invalid: bool = False
    ) -> ImportReport:
        """Imports records given as dicts (each with ``"type"`` and the
        fields of SPEC section 1; dates may be ``datetime.date``). Atomic and
        reported exactly as :meth:`import_jsonl`; messages name the records
        as ``<records>:N``, N counting from 1."""
        lines = [_record_json(record, n) for n, record in enumerate(records, start=1)]
        data = ("\n".join(lines) + "\n").encode("utf-8")
        return self._import_bytes(data, "<records>", skip_invalid)

    def _import_bytes(self, data: bytes, name: str, skip_invalid: bool) -> ImportReport:
        return ImportReport(name, self._native.import_bytes(data, name, skip_invalid))

    def export_jsonl(self, target: Any) -> int:
        """Writes every record as JSON Lines to a path or a file object;
        returns how many. Importing it into an empty database gives the
        same records."""
        if hasattr(target, "write"):
            data = self._native.export_bytes()
            try:
                target.write(data)
            except TypeError:
                target.write(data.decode("utf-8"))
            return data.count(b"\n")
        return self._native.export_file(_path_text(target, "export_jsonl's target"))

    def check(self) -> Dict[str, Any]:
        """Verifies the database (indexes, references, derived values,
        counters): ``{"ok": bool, "checked": [...], "problems": [...]}``."""
        checked, problems = self._native.check()
        return {"ok": not problems, "checked": checked, "problems": problems}

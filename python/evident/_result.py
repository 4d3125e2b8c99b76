"""What a statement returns: a sequence of row dicts, with the DataFrame
libraries one call away."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any, Iterator, List, Optional

# The rows a notebook shows of a result before "… N more rows".
_HTML_ROWS = 20


def _missing(library: str, extra: str) -> ImportError:
    return ImportError(
        f"{library} is not installed; install it (pip install {extra}) to use this method"
    )


class Result(Sequence):
    """The rows of one statement, each a dict equal to the ``json`` format's
    object for it: numbers as ``int``/``float``, dates as ``datetime.date``,
    lists as lists, absent values as ``None``.

    The rows are kept by column as the engine produced them; dicts are built
    the first time a row is asked for, and ``to_arrow()``, ``to_pandas()``
    and ``to_polars()`` go from the columns straight to Arrow, never through
    dicts, so a million-row result reaches pandas quickly.

    ``message`` is what a write said (``added claim c21``), ``notes`` the
    hints the command line prints after the rows, ``report`` the text of
    ``show`` and ``explain`` in the table format.
    """

    def __init__(self, native: Any) -> None:
        self._native = native
        self.columns: List[str] = list(native.columns)
        self.message: Optional[str] = native.message
        self.notes: List[str] = list(native.notes)
        self.report: Optional[str] = native.report
        self._len = len(native)
        self._rows: Optional[List[dict]] = None
        self._arrow_columns: dict = {}

    # -- the sequence of dicts -------------------------------------------

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, index):  # type: ignore[override]
        return self._materialised()[index]

    def __iter__(self) -> Iterator[dict]:
        return iter(self._materialised())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Result):
            return self._materialised() == other._materialised()
        if isinstance(other, (list, tuple)):
            return self._materialised() == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        shown = self._materialised()[:5]
        more = f", … {self._len - 5} more" if self._len > 5 else ""
        return f"<evident.Result {self._len} rows × {len(self.columns)} columns: {shown!r}{more}>"

    def to_list(self) -> List[dict]:
        """The rows as a plain list of dicts (a copy)."""
        return list(self._materialised())

    def _column_values(self, index: int) -> list:
        if index in self._arrow_columns:
            return self._arrow_columns[index].to_pylist()
        return self._native.column_values(index)

    def _materialised(self) -> List[dict]:
        if self._rows is None:
            names = self.columns
            values = [self._column_values(i) for i in range(len(names))]
            self._rows = [dict(zip(names, row)) for row in zip(*values)]
            if not names:
                self._rows = [{} for _ in range(self._len)]
        return self._rows

    # -- the DataFrame libraries -----------------------------------------

    def to_arrow(self):
        """The rows as a ``pyarrow.Table`` (needs pyarrow). Columns of one
        type are built from the engine's buffers without a copy per value;
        dates are ``date32``, text ``large_string``."""
        try:
            import pyarrow as pa
        except ImportError:
            raise _missing("pyarrow", "pyarrow") from None
        arrays = [self._arrow_column(pa, i) for i in range(len(self.columns))]
        if not arrays:
            return pa.table({})
        return pa.Table.from_arrays(arrays, names=self.columns)

    def _arrow_column(self, pa: Any, index: int):
        if index not in self._arrow_columns:
            buffers = self._native.take_arrow(index)
            if buffers is None:
                array = _array_from_values(pa, self._column_values(index))
            else:
                array = _array_from_buffers(pa, *buffers)
            self._arrow_columns[index] = array
        return self._arrow_columns[index]

    def to_pandas(self):
        """The rows as a ``pandas.DataFrame`` (needs pandas; through Arrow
        when pyarrow is installed, which is much faster for large results)."""
        try:
            import pandas as pd
        except ImportError:
            raise _missing("pandas", "pandas pyarrow") from None
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            return pd.DataFrame(
                {name: self._column_values(i) for i, name in enumerate(self.columns)},
                columns=self.columns,
            )
        table = self.to_arrow()
        frame = table.to_pandas(split_blocks=True)
        return frame

    def to_polars(self):
        """The rows as a ``polars.DataFrame`` (needs polars and pyarrow)."""
        try:
            import polars as pl
        except ImportError:
            raise _missing("polars", "polars") from None
        return pl.from_arrow(self.to_arrow())

    def _repr_html_(self) -> str:
        """A table for notebooks: the first rows, and how many there are."""
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = []
        for row in self._materialised()[:_HTML_ROWS]:
            cells = "".join(f"<td>{html.escape(_cell_text(row[c]))}</td>" for c in self.columns)
            body.append(f"<tr>{cells}</tr>")
        more = ""
        if self._len > _HTML_ROWS:
            more = f"<p>… {self._len - _HTML_ROWS} more rows ({self._len} in all)</p>"
        extra = "".join(
            f"<p>{html.escape(line)}</p>" for line in ([self.message] if self.message else []) + self.notes
        )
        if self.report and not self.columns:
            return f"<pre>{html.escape(self.report)}</pre>{extra}"
        return (
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}{extra}"
        )


def _cell_text(value: Any) -> str:
    """A value as the table format shows it: absent as nothing, lists
    joined with commas."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_cell_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, default=str)
    return str(value)


def _array_from_buffers(pa: Any, kind: str, length: int, validity, offsets, values):
    if kind == "null":
        return pa.nulls(length)
    arrow_type = {
        "bool": pa.bool_(),
        "int64": pa.int64(),
        "float64": pa.float64(),
        "date32": pa.date32(),
        "large_string": pa.large_string(),
    }[kind]
    buffers = [None if validity is None else pa.py_buffer(validity)]
    if offsets is not None:
        buffers.append(pa.py_buffer(offsets))
    buffers.append(pa.py_buffer(values))
    return pa.Array.from_buffers(arrow_type, length, buffers)


def _array_from_values(pa: Any, values: list):
    """A column of several types (lists, nested objects, ints beside
    text): Arrow infers one type; where none fits, each value becomes its
    JSON text."""
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array(
            [None if v is None else json.dumps(v, default=str) for v in values],
            type=pa.large_string(),
        )

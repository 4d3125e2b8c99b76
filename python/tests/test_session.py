"""A notebook-style session on LIAR2: the rows are the command line's
`json` rows, and pandas, polars and Arrow get the same values."""

import datetime
import json

import pytest

import evident


def as_json_values(rows):
    """Rows as `json.loads` of the json format gives them (dates as text)."""
    return json.loads(json.dumps(rows, default=lambda d: d.isoformat()))


def test_a_notebook_session_on_liar2(liar2_db, cli):
    with evident.open(liar2_db) as db:
        counts = db.query("count claims group by status order by count desc")
        assert counts.columns == ["status", "count"]
        assert sum(row["count"] for row in counts) == 4593
        assert all(isinstance(row["count"], int) for row in counts)

        trump = db.query(
            'claims where subject = "donald trump" order by created desc limit 5 '
            "select id, text, created, tags, status, confidence"
        )
        assert len(trump) == 5
        first = trump[0]
        assert isinstance(first["created"], datetime.date)
        assert isinstance(first["tags"], list)
        assert isinstance(first["confidence"], float)
        dates = [row["created"] for row in trump]
        assert dates == sorted(dates, reverse=True)

        frame = db.query("claims select id, subject, status, confidence, created").to_pandas()
        assert len(frame) == 4593
        by_subject = frame.groupby("subject").size().sort_values(ascending=False)
        top = db.query("count claims group by subject order by count desc limit 1")[0]
        assert (by_subject.index[0], by_subject.iloc[0]) == (top["subject"], top["count"])
        assert frame["confidence"].dtype == "float64"

        explained = db.explain(trump[0]["id"])
        assert explained["id"] == trump[0]["id"]
        assert explained["status"] == trump[0]["status"]
        assert explained["evidence"] and "weight" in explained["evidence"][0]

        html = counts._repr_html_()
        assert "<table>" in html and "<th>status</th>" in html

    # The same statements through the command line give the same rows.
    for statement in [
        "count claims group by status order by count desc",
        'claims where subject = "donald trump" order by created desc limit 5',
        "claims where created < 2010-01-01 select id, created, tags, confidence",
        "sources order by reliability desc limit 20",
        "evidence limit 50",
    ]:
        shown = json.loads(cli("--db", liar2_db, "query", "--format", "json", statement).stdout)
        with evident.open(liar2_db) as db:
            rows = db.query(statement)
        assert as_json_values(list(rows)) == shown, statement
        assert rows.columns == (list(shown[0]) if shown else rows.columns)


def test_dataframes_hold_the_rows_values(seed_db):
    result = seed_db.query("claims select id, confidence, created, tags, evidence_count")
    rows = result.to_list()
    table = result.to_arrow()
    assert table.column_names == result.columns
    assert str(table.schema.field("created").type) == "date32[day]"
    assert str(table.schema.field("evidence_count").type) == "int64"
    assert table.to_pylist() == rows

    frame = result.to_pandas()
    assert list(frame.columns) == result.columns
    assert frame["id"].tolist() == [row["id"] for row in rows]
    assert frame["created"].tolist() == [row["created"] for row in rows]
    assert frame["tags"].map(list).tolist() == [row["tags"] for row in rows]

    polars = pytest.importorskip("polars")
    frame = result.to_polars()
    assert isinstance(frame, polars.DataFrame)
    assert frame["created"].to_list() == [row["created"] for row in rows]
    # Rows are still there after the columns went to Arrow.
    assert result.to_list() == rows


def test_absent_values_are_none_and_nulls(seed_db):
    result = seed_db.query("results select id, unit, date, note")
    rows = result.to_list()
    assert any(row["note"] is not None for row in rows)
    frame = result.to_pandas()
    assert len(frame) == len(rows)
    empty = seed_db.query('claims where subject = "nobody at all"')
    assert len(empty) == 0 and empty.to_list() == []
    assert len(empty.to_pandas()) == 0
    assert empty.to_pandas().columns.tolist() == empty.columns


def test_run_gives_one_result_per_statement(seed_db):
    results = seed_db.run("count claims; count sources; claims limit 2 select id")
    assert [r.to_list() for r in results[:2]] == [[{"count": 26}], [{"count": 19}]]
    assert len(results[2]) == 2


def test_a_missing_library_is_a_clear_import_error(seed_db, monkeypatch):
    result = seed_db.query("claims select id, confidence")
    for module, method in [("polars", result.to_polars), ("pyarrow", result.to_arrow)]:
        monkeypatch.setitem(__import__("sys").modules, module, None)
        with pytest.raises(ImportError, match=f"{module} is not installed.*pip install"):
            method()
        monkeypatch.undo()


def test_pandas_without_pyarrow_gets_the_same_frame(seed_db, monkeypatch):
    statement = "claims select id, confidence, created, tags"
    through_arrow = seed_db.query(statement).to_pandas()
    monkeypatch.setitem(__import__("sys").modules, "pyarrow", None)
    without = seed_db.query(statement).to_pandas()
    assert without["id"].tolist() == through_arrow["id"].tolist()
    assert without["confidence"].tolist() == through_arrow["confidence"].tolist()
    assert without["created"].tolist() == through_arrow["created"].tolist()


def test_writes_report_their_message(tmp_path):
    with evident.open(tmp_path / "db") as db:
        db.import_records([{"type": "source", "id": "s", "title": "S", "reliability": 0.5}])
        (added,) = db.run('add claim { id: "c:1", text: "a claim" }')
        assert [row["id"] for row in added] == ["c:1"]
        assert added.message and "c:1" in added.message


def test_explain_takes_any_id(tmp_path):
    odd = "c:odd/x.y-z_1"
    with evident.open(tmp_path / "db") as db:
        db.import_records([
            {"type": "source", "id": "s", "title": "S", "reliability": 0.9},
            {"type": "claim", "id": odd, "text": "odd id"},
            {"type": "evidence", "id": "e", "claim": odd, "source": "s", "stance": "supports"},
        ])
        explained = db.explain(odd)
        assert explained["id"] == odd and explained["evidence"][0]["id"] == "e"
        for missing in ["c:no-such-claim", 'c:"quoted"\\back\nline\ttab\x01']:
            with pytest.raises(evident.Error):
                db.explain(missing)

"""Import and export: the round trip is byte-identical and matches the
command line's; records as dicts import like the same lines from a file."""

import gzip
import io
import json

import evident


def test_export_import_export_is_byte_identical_and_the_clis(tmp_path, liar2_db, cli):
    first = tmp_path / "first.jsonl"
    with evident.open(liar2_db) as db:
        n = db.export_jsonl(first)
        counts = db.query("count claims group by status").to_list()
    assert n == len(first.read_bytes().splitlines())
    cli("--db", liar2_db, "export", "-o", tmp_path / "cli.jsonl")
    assert first.read_bytes() == (tmp_path / "cli.jsonl").read_bytes()

    with evident.open(tmp_path / "again") as db:
        report = db.import_jsonl(first)
        assert report.read == {"sources": 1592, "claims": 4593, "evidence": 9928, "results": 0}
        assert sum(report.added.values()) == n
        second = io.BytesIO()
        assert db.export_jsonl(second) == n
        assert db.query("count claims group by status").to_list() == counts
        assert db.check()["ok"]
    assert second.getvalue() == first.read_bytes()


def test_import_records_reports_as_import_jsonl_does(tmp_path, seed):
    lines = [line for line in seed.read_text().splitlines() if line.strip() and not line.startswith("#")]
    with evident.open(tmp_path / "a") as db:
        from_file = db.import_jsonl(seed)
    with evident.open(tmp_path / "b") as db:
        from_records = db.import_records(json.loads(line) for line in lines)
        again = db.import_records(json.loads(line) for line in lines)
        assert db.query("count claims")[0]["count"] == 26
    assert from_records == from_file
    assert sum(again.added.values()) == 0 and again.unchanged == len(lines)
    assert str(from_file).endswith("123 added, 0 replaced, 0 unchanged")


def test_imports_from_file_objects_and_gzip(tmp_path, seed):
    text = seed.read_text()
    gz = tmp_path / "seed.jsonl.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    for source in [io.StringIO(text), io.BytesIO(text.encode()), gz]:
        with evident.open(tmp_path / f"db-{id(source)}") as db:
            report = db.import_jsonl(source)
            assert report.read["claims"] == 26
            # 72 recorded and 1 derived from a benchmark result (SPEC 8.3)
            assert db.query("count evidence")[0]["count"] == 73


def test_skip_invalid_imports_the_rest(tmp_path):
    with evident.open(tmp_path / "db") as db:
        report = db.import_records(
            [{"type": "claim", "id": "c:1", "text": "one"}, {"type": "claim", "id": "c:2"}],
            skip_invalid=True,
        )
        assert report.skipped == [{"line": 2, "field": "text", "reason": "missing (required)"}]
        assert db.query("claims select id").to_list() == [{"id": "c:1"}]


def test_dates_in_records_may_be_dates(tmp_path):
    import datetime

    with evident.open(tmp_path / "db") as db:
        db.import_records([{"type": "claim", "id": "c:1", "text": "one", "created": datetime.date(2024, 2, 29)}])
        assert db.query("claims select created")[0] == {"created": datetime.date(2024, 2, 29)}

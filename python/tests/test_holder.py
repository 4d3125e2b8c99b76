"""A database another process holds and serves (`evident serve`, an open
`evident repl`): `evident.open` works through that process, with the same
API and the same rows."""

import signal
import subprocess

import pytest

import evident


@pytest.fixture
def served(tmp_path, seed, evident_bin):
    """The seed database, held by `evident serve` for the test's length."""
    path = tmp_path / "db"
    with evident.open(path) as db:
        db.import_jsonl(seed)
    server = subprocess.Popen(
        [str(evident_bin), "--db", str(path), "serve"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        said = server.stderr.readline()
        assert said.startswith("serving"), said
        yield path
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)


STATEMENTS = [
    "count claims group by status",
    "claims where status = verified order by confidence desc select id, confidence, tags, evidence_count",
    "results select id, model, value, date",
    "claims where created < 2026-06-01 select id, created, status",
]


def test_reading_through_a_holder(served, tmp_path, seed):
    with evident.open(served) as db:
        assert db.holder is not None and "evident.sock" in db.holder
        through = [db.query(s).to_list() for s in STATEMENTS]
        explained = db.explain("c:spacex-model-swebench-74")
        dated = db.query("claims select created").to_arrow()
        assert str(dated.schema.field("created").type) == "date32[day]"
        frame = db.query("claims select id, confidence").to_pandas()
        assert db.query("claims where subject = $who select id", who="SpaceX").to_list()
        with pytest.raises(evident.QueryError) as raised:
            db.query("claims where staus = verified")
        assert raised.value.line == 1 and raised.value.column == 14
        assert db.check()["ok"]
        report = db.import_records([{"type": "claim", "id": "c:through", "text": "written through the holder"}])
        assert report.added["claims"] == 1
        assert db.export_jsonl(tmp_path / "through.jsonl") > 0
        with pytest.raises(evident.DataError):
            db.import_records([{"type": "claim", "id": "c:bad"}])
    assert len(frame) == 26 and explained["status"] == "unresolved"

    # The same statements on a database this process opens itself give the
    # same rows; the export made through the holder has the new claim.
    with evident.open(tmp_path / "copy") as db:
        db.import_jsonl(seed)
        assert [db.query(s).to_list() for s in STATEMENTS] == through
    assert '"id":"c:through"' in (tmp_path / "through.jsonl").read_text()

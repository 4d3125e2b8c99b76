"""Each error class, with the command line's message; bad input gives an
evident.Error or a TypeError, never a crash."""

import datetime

import pytest

import evident


def cli_message(cli, *args):
    done = cli(*args, check=False)
    assert done.returncode == 1, done
    return done.stderr.rstrip("\n")


@pytest.mark.parametrize(
    "statement, line, column, help",
    [
        ("claims where staus = verified", 1, 14, 'did you mean "status"?'),
        ("claims where status = verfied", 1, 23, 'did you mean "verified"?'),
        ("claims wher", 1, 8, 'did you mean "where"?'),
        ('count claims;\nclaims where created > "2020"', 2, 24, "give a date, such as 2024-06-30"),
        ("claims where", 1, None, None),
    ],
)
def test_query_errors_carry_the_command_lines_message(tmp_path, seed, cli, statement, line, column, help):
    path = tmp_path / "db"
    with evident.open(path) as db:
        db.import_jsonl(seed)
        with pytest.raises(evident.QueryError) as raised:
            db.run(statement)
    error = raised.value
    assert isinstance(error, evident.Error)
    assert str(error) == cli_message(cli, "--db", path, "query", statement)
    assert error.line == line
    if column is not None:
        assert error.column == column
        assert error.help == help
    assert f"line {error.line}, column {error.column}" in str(error)


def test_query_takes_one_statement(seed_db):
    with pytest.raises(evident.QueryError, match="use run"):
        seed_db.query("count claims; count sources")


def test_data_errors_name_every_bad_line_and_import_nothing(tmp_path, seed, cli):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"type":"claim","id":"c:new","text":"fine"}\n'
        '{"type":"claim","id":"c:x"}\n'
        '{"type":"evidence","id":"e:x","claim":"c:new","source":"nowhere","stance":"supports"}\n'
    )
    path = tmp_path / "db"
    with evident.open(path) as db:
        db.import_jsonl(seed)
        with pytest.raises(evident.DataError) as raised:
            db.import_jsonl(bad)
        assert db.query("count claims")[0]["count"] == 26
        with pytest.raises(evident.DataError) as from_records:
            db.import_records([{"type": "claim", "id": "c:y"}])
    assert str(raised.value) == cli_message(cli, "--db", path, "import", bad)
    assert f"{bad}:2: text:" in str(raised.value)
    assert "<records>:1: text:" in str(from_records.value)
    assert raised.value.line is None


def test_database_errors(tmp_path, cli):
    missing = tmp_path / "missing"
    with pytest.raises(evident.DatabaseError) as raised:
        evident.open(missing, create=False)
    assert str(raised.value) == cli_message(cli, "--db", missing, "query", "claims")
    assert not missing.exists()

    a_file = tmp_path / "a-file"
    a_file.write_text("not a database")
    with pytest.raises(evident.DatabaseError, match="a-file"):
        evident.open(a_file)
    assert a_file.read_text() == "not a database"

    db = evident.open(tmp_path / "db")
    db.close()
    db.close()  # a second close does nothing
    for call in [
        lambda: db.query("claims"),
        lambda: db.run("claims"),
        lambda: db.explain("c:1"),
        lambda: db.import_records([]),
        lambda: db.export_jsonl(tmp_path / "out.jsonl"),
        lambda: db.check(),
    ]:
        with pytest.raises(evident.DatabaseError, match="closed"):
            call()


def test_a_database_held_elsewhere_is_refused_clearly(tmp_path):
    with evident.open(tmp_path / "db"):
        with pytest.raises(evident.DatabaseError, match="in use"):
            evident.open(tmp_path / "db")


@pytest.mark.parametrize("statement", [None, 42, b"claims", ["claims"]])
def test_a_statement_must_be_text(seed_db, statement):
    with pytest.raises(TypeError, match="must be a str"):
        seed_db.query(statement)
    with pytest.raises(TypeError, match="must be a str"):
        seed_db.run(statement)


@pytest.mark.parametrize(
    "value, kind",
    [({"a"}, "set"), (object(), "object"), ({"a": 1}, "dict"), (b"x", "bytes"),
     (datetime.datetime(2024, 1, 1), "datetime"), ([1, {2}], "set")],
)
def test_a_parameter_of_no_evident_type_is_a_type_error(seed_db, value, kind):
    with pytest.raises(TypeError, match=kind):
        seed_db.query("claims where subject = $s", s=value)


@pytest.mark.parametrize("path", [None, 3, b"db"])
def test_a_path_must_be_a_path(path):
    with pytest.raises(TypeError):
        evident.open(path)


def test_hostile_input_is_an_error_not_a_crash(seed_db):
    for text in ["", ";;;", "(" * 100_000, "claims where " + "not " * 50_000 + "status = verified",
                 "claims where text ~ \"\x00\"", "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace")]:
        try:
            seed_db.run(text)
        except evident.Error:
            pass
    assert seed_db.query("count claims")[0]["count"] == 26
    with pytest.raises(TypeError):
        seed_db.import_records([{"type": "claim", "id": "c:z", "text": {1, 2}}])
    with pytest.raises(TypeError):
        seed_db.import_records(["not a dict"])

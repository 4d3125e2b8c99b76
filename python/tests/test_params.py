"""Keyword parameters bind `$name`s as typed values, never as text."""

import datetime

import pytest

import evident


def test_parameters_bind_where_values_stand(seed_db):
    spacex = seed_db.query(
        "claims where subject = $who and confidence >= $least order by id limit $n select id, subject",
        who="SpaceX", least=0.5, n=2,
    )
    assert len(spacex) == 2 and {row["subject"] for row in spacex} == {"SpaceX"}
    written = seed_db.query(
        'claims where subject = "SpaceX" and confidence >= 0.5 order by id limit 2 select id, subject'
    )
    assert spacex == written

    day = datetime.date(2026, 6, 1)
    before = seed_db.query("claims where created < $day select id, created", day=day)
    assert before and all(row["created"] < day for row in before)
    as_of = seed_db.query("count claims as of $day", day=day)[0]["count"]
    assert as_of <= 26


def test_a_value_is_never_read_as_query_text(seed_db):
    for hostile in ['SpaceX" or subject = "xAI', "x; retract c:colossus-2gw", "$who"]:
        assert seed_db.query("claims where subject = $who select id", who=hostile).to_list() == []
    assert seed_db.query("count claims")[0]["count"] == 26


def test_parameters_apply_to_every_statement_of_run(seed_db):
    counts = seed_db.run("count claims where subject = $who; count results where value > $v", who="SpaceX", v=60)
    assert counts[0][0]["count"] > 0 and counts[1][0]["count"] == 5


def test_parameter_mistakes_are_query_errors_at_the_parameter(seed_db):
    with pytest.raises(evident.QueryError) as wrong_type:
        seed_db.query("claims where confidence > $c", c="high")
    assert "parameter $c" in str(wrong_type.value)
    assert (wrong_type.value.line, wrong_type.value.column) == (1, 27)
    with pytest.raises(evident.QueryError, match="who"):
        seed_db.query("claims where subject = $who")
    with pytest.raises(evident.QueryError, match="unused"):
        seed_db.query("count claims", unused=1)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_number_that_is_not_finite_is_refused(seed_db, value):
    with pytest.raises(TypeError, match="not a number"):
        seed_db.query("claims where confidence > $c", c=value)

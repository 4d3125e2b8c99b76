"""Opening and closing: close() frees the database for the command line at
once, and so does an interpreter that dies; Ctrl-C stops a statement and
leaves the database usable; statements run without the GIL."""

import _thread
import io
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import evident


def test_close_frees_the_database_for_the_command_line(tmp_path, seed, cli):
    path = tmp_path / "db"
    db = evident.open(path)
    db.import_jsonl(seed)
    held = cli("--db", path, "query", "count claims", check=False)
    assert held.returncode == 1 and "in use" in held.stderr
    db.close()
    assert db.closed
    assert cli("--db", path, "query", "count claims").stdout.strip() == '[{"count":26}]' or \
        "26" in cli("--db", path, "query", "count claims").stdout
    with evident.open(path) as again:
        assert again.query("count claims")[0]["count"] == 26
    assert cli("--db", path, "check").returncode == 0


def test_the_lock_goes_with_a_dead_interpreter(tmp_path, seed, cli):
    path = tmp_path / "db"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import evident, sys, time\n"
         f"db = evident.open({str(path)!r}); db.import_jsonl({str(seed)!r})\n"
         "print('open', flush=True); time.sleep(600)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        assert cli("--db", path, "query", "count claims", check=False).returncode == 1
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert "26" in cli("--db", path, "query", "count claims").stdout


@pytest.fixture(scope="module")
def big_db(tmp_path_factory):
    """300,000 results: a plain `results` takes long enough to interrupt."""
    path = tmp_path_factory.mktemp("big") / "db"
    lines = ['{"type":"source","id":"s","title":"s","reliability":0.5}']
    lines += [
        f'{{"type":"result","id":"r:{i:06}","model":"m{i % 97}","benchmark":"b{i % 13}",'
        f'"value":{i % 100},"metric":"score","source":"s","note":"result number {i}"}}'
        for i in range(300_000)
    ]
    with evident.open(path) as db:
        db.import_jsonl(io.BytesIO(("\n".join(lines) + "\n").encode()))
    return path


@pytest.fixture
def ctrl_c_raises():
    """Python's own Ctrl-C handler, which a process started with SIGINT
    ignored (a shell's background job: `.ci/run &`) does not install, and
    without which `interrupt_main` does nothing."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_keyboard_interrupt_stops_the_statement_and_keeps_the_database(big_db, ctrl_c_raises):
    with evident.open(big_db) as db:
        started = time.perf_counter()
        assert len(db.query("results")) == 300_000
        whole = time.perf_counter() - started

        timer = threading.Timer(whole / 10, _thread.interrupt_main)
        started = time.perf_counter()
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            db.query("results")
        stopped = time.perf_counter() - started
        timer.join()
        assert stopped < whole * 0.8, (stopped, whole)

        # Usable afterwards, for reads and writes, with nothing lost.
        assert db.query("count results")[0]["count"] == 300_000
        db.import_records([{"type": "claim", "id": "c:after", "text": "after Ctrl-C"}])
        assert db.query("claims select id").to_list() == [{"id": "c:after"}]
        assert len(db.query("results")) == 300_000


def test_statements_run_without_the_gil(big_db):
    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    with evident.open(big_db) as db:
        ticker = threading.Thread(target=tick)
        ticker.start()
        started = time.perf_counter()
        db.query("results where value > 1000")  # scans everything, returns nothing
        ended = time.perf_counter()
        stop.set()
        ticker.join()
    during = [t for t in ticks if started < t < ended]
    # With the GIL held the other thread would not tick at all while the
    # statement runs.
    assert len(during) > 10, (len(during), ended - started)


def test_two_threads_query_one_database(seed_db):
    results = []
    threads = [threading.Thread(target=lambda: results.append(seed_db.query("count claims")[0]["count"]))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [26] * 8

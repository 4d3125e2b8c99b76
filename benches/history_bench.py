#!/usr/bin/env python3
"""History speed (issue #16): 30 days of simulated daily imports on the
1M-claim synthetic set, then `changes since <day 29>` and `history ID`,
against SQLite answering the same from a status-log table indexed on time,
and the daily import with and without the status log.

    python3 benches/history_bench.py SYNTH.jsonl NEW_EVIDENT WITHOUT_EVIDENT [WORKDIR [SQLITE_DB]]

SYNTH.jsonl is the synthetic set `cargo bench --bench compare` generates
(target/bench-compare/synth-full.jsonl); NEW_EVIDENT a build with the
status log, WITHOUT_EVIDENT the same source built without it, the same way:

    cargo build --release --features bench-without-status-log \
        --target-dir target/without-status-log

(its binary is target/without-status-log/release/evident). Each day
touches 1% of the claims (a new piece of evidence each, random source,
stance and strength), recorded at 06:00 UTC of that day (EVIDENT_CLOCK).
Prints a markdown table. Not part of `cargo bench --bench compare` yet.
SQLITE_DB, the compare benchmark's SQLite database of the same set
(target/bench-compare/synth-full.sqlite), gives SQLite the claims' text
as `changes` gives it (opened read-only). `changes` is timed both one-shot
(a fresh process; SQLite on a fresh connection) and warm (run again with
the database open; SQLite on its open connection). REUSE=1 measures the databases a
previous run left in WORKDIR without building them again; NO_OLD=1 skips
the build without the status log (its figures are then meaningless).
"""

import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time

DAYS = 30
RUNS = 5


def run(binary, db, *args, clock=None, stdout=subprocess.DEVNULL):
    env = dict(os.environ)
    if clock:
        env["EVIDENT_CLOCK"] = clock
    started = time.perf_counter()
    proc = subprocess.run([binary, "--db", db, *args], env=env, stdout=stdout,
                          stderr=subprocess.PIPE, text=True, check=True)
    return time.perf_counter() - started, proc


def query_ms(binary, db, script):
    """Median over RUNS of the running part of `query --timer`, in ms."""
    times = []
    for _ in range(RUNS):
        _, proc = run(binary, db, "query", "--timer", "--format", "jsonl", script)
        m = re.search(r"running the script ([\d.]+) (ms|s)", proc.stderr)
        value = float(m.group(1)) * (1000 if m.group(2) == "s" else 1)
        times.append(value)
    return statistics.median(times)


def warm_query_ms(binary, db, statement):
    """The statement's time with the database open and read before: a
    script of it 11 times against one of it once, medians over RUNS, the
    difference over 10 (what a shell or a holder answering it again sees)."""
    once = query_ms(binary, db, statement)
    eleven = query_ms(binary, db, ";\n".join([statement] * 11))
    return (eleven - once) / 10


def du(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    return total


def day_clock(day):
    return f"2026-11-{day:02d}T06:00:00Z" if day <= 30 else None


def build(synth, new, old, work, a, b):
    """Imports the set into both databases and runs the 30 days."""
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    claims, sources = [], []
    with open(synth) as f:
        for line in f:
            head = line[:40].replace(" ", "")
            if head.startswith('{"type":"claim"'):
                claims.append(json.loads(line)["id"])
            elif head.startswith('{"type":"source"'):
                sources.append(json.loads(line)["id"])
    rng = random.Random(16)
    t_new, _ = run(new, a, "import", synth, clock="2026-10-31T06:00:00Z")
    skip_old = os.environ.get("NO_OLD") == "1"
    t_old = 0.0 if skip_old else run(old, b, "import", synth)[0]
    print(f"initial import: {t_new:.1f} s with the status log, {t_old:.1f} s without",
          file=sys.stderr)
    size_a0, size_b0 = du(a), du(b)
    # SQLite: the same status log as a table, indexed on time.
    lite = sqlite3.connect(os.path.join(work, "status_log.sqlite"))
    lite.execute("create table status_log (time integer, claim text, status_before text,"
                 " status text, confidence_before real, confidence real)")
    _, proc = run(new, a, "query", "--format", "jsonl", "claims select id, status, confidence",
                  stdout=subprocess.PIPE)
    t0 = 0
    lite.executemany("insert into status_log values (?, ?, null, ?, null, ?)",
                     ((t0, r["id"], r["status"], r["confidence"])
                      for r in map(json.loads, proc.stdout.splitlines())))
    imports_new, imports_old = [], []
    previous = "2026-10-31T06:00:00Z"
    for day in range(1, DAYS + 1):
        path = os.path.join(work, f"day{day}.jsonl")
        with open(path, "w") as f:
            for n, claim in enumerate(rng.sample(claims, len(claims) // 100)):
                f.write(json.dumps({
                    "type": "evidence", "id": f"d{day}-{n}", "claim": claim,
                    "source": rng.choice(sources),
                    "stance": rng.choice(["supports", "refutes"]),
                    "strength": round(rng.uniform(0.3, 1.0), 2)}) + "\n")
        t, _ = run(new, a, "import", path, clock=day_clock(day))
        imports_new.append(t)
        imports_old.append(1.0 if skip_old else run(old, b, "import", path)[0])
        # The day's status changes into SQLite's status log.
        _, proc = run(new, a, "query", "--format", "jsonl",
                      f"changes since {previous}", stdout=subprocess.PIPE)
        ms = day * 86_400_000
        lite.executemany("insert into status_log values (?, ?, ?, ?, ?, ?)",
                         ((ms, r["id"], r["status_before"], r["status"],
                           r["confidence_before"], r["confidence"])
                          for r in map(json.loads, proc.stdout.splitlines())))
        previous = day_clock(day)
        print(f"day {day}: {imports_new[-1]:.2f} s / {imports_old[-1]:.2f} s", file=sys.stderr)
    lite.execute("create index status_log_time on status_log (time)")
    lite.commit()
    growth = statistics.median(imports_new) / statistics.median(imports_old) - 1
    with open(os.path.join(work, "imports.txt"), "w") as f:
        f.write(f"{statistics.median(imports_new):.2f} {statistics.median(imports_old):.2f} {growth * 100:+.0f} {size_a0 / 2**20:.0f} {size_b0 / 2**20:.0f}\n")


def main():
    synth, new, old = sys.argv[1:4]
    work = sys.argv[4] if len(sys.argv) > 4 else "/tmp/evident-history-bench"
    a, b = os.path.join(work, "with.db"), os.path.join(work, "without.db")
    if os.environ.get("REUSE") != "1":
        build(synth, new, old, work, a, b)
    lite = sqlite3.connect("file:" + os.path.join(work, "status_log.sqlite"), uri=True)
    rng = random.Random(16)
    claims = [r.split('"')[1] for r in
              run(new, a, "query", "--format", "jsonl", "claims limit 1000 select id",
                  stdout=subprocess.PIPE)[1].stdout.split('"id":')[1:]]
    since = day_clock(29)
    changes_ms = query_ms(new, a, f"changes since {since}")
    claim = rng.choice(claims)
    history_ms = query_ms(new, a, f'history "{claim}"')
    # SQLite: first "before" and last "after" per claim in the window.
    sql = """
        with w as (select *, row_number() over (partition by claim order by time) as first,
                          row_number() over (partition by claim order by time desc) as last
                   from status_log where time > ?)
        select f.claim, f.status_before, l.status, f.confidence_before, l.confidence
        from w f join w l on f.claim = l.claim and f.first = 1 and l.last = 1
        where f.status_before is not l.status order by f.claim"""
    # One-shot, as `evident query` is: a fresh connection each run (its
    # first statement reads the schema and every page it needs); then warm:
    # the same statement again on an open connection.
    cold_times, warm_times = [], []
    for _ in range(RUNS):
        fresh = sqlite3.connect("file:" + os.path.join(work, "status_log.sqlite") + "?mode=ro", uri=True)
        started = time.perf_counter()
        rows = fresh.execute(sql, (29 * 86_400_000,)).fetchall()
        cold_times.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        fresh.execute(sql, (29 * 86_400_000,)).fetchall()
        warm_times.append((time.perf_counter() - started) * 1000)
        fresh.close()
    lite_ms = statistics.median(cold_times)
    lite_warm_ms = statistics.median(warm_times)
    changes_warm_ms = warm_query_ms(new, a, f"changes since {since}")
    lite_text_ms = None
    if len(sys.argv) > 5:
        lite.execute(f"attach 'file:{sys.argv[5]}?mode=ro' as base")
        with_text = sql.replace("select f.claim,", "select f.claim, (select text from base.claims c where c.id = f.claim),")
        times = []
        for _ in range(RUNS):
            started = time.perf_counter()
            lite.execute(with_text, (29 * 86_400_000,)).fetchall()
            times.append((time.perf_counter() - started) * 1000)
        lite_text_ms = statistics.median(times)
    _, proc = run(new, a, "query", "--format", "jsonl", f"changes since {since}",
                  stdout=subprocess.PIPE)
    ours = len(proc.stdout.splitlines())
    with open(os.path.join(work, "imports.txt")) as f:
        med_new, med_old, growth, size_a0, size_b0 = f.read().split()
    print("| measure | figure | goal |")
    print("|---|---:|---|")
    print(f"| changes since day 29 ({ours} rows; SQLite {len(rows)}), one-shot: a fresh process | {changes_ms:.1f} ms | ≤ 50 ms |")
    print(f"| SQLite, same from an indexed status-log table, on a fresh connection | {lite_ms:.1f} ms | |")
    print(f"| ratio, one-shot | {changes_ms / lite_ms:.2f}× | ≤ 0.2× |")
    print(f"| changes since day 29 again, database open (shell, holder) | {changes_warm_ms:.1f} ms | |")
    print(f"| SQLite, same again on its open connection | {lite_warm_ms:.1f} ms | |")
    print(f"| ratio, warm | {changes_warm_ms / lite_warm_ms:.2f}× | ≤ 0.2× |")
    if lite_text_ms is not None:
        print(f"| SQLite with each row's text from its claims table | {lite_text_ms:.1f} ms | |")
        print(f"| ratio to that | {changes_ms / lite_text_ms:.2f}× | ≤ 0.2× |")
    print(f"| history of one claim | {history_ms:.2f} ms | ≤ 5 ms |")
    print(f"| daily import, median of {DAYS}, with / without status log | "
          f"{med_new} s / {med_old} s ({growth}%) | ≤ +15% |")
    print(f"| disk after the initial import, with / without | {size_a0} / {size_b0} MiB | reported |")
    print(f"| disk after {DAYS} days, with / without | {du(a) / 2**20:.0f} / "
          f"{du(b) / 2**20:.0f} MiB | reported |")


if __name__ == "__main__":
    main()

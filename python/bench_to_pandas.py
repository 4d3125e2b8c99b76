"""How fast and how lean a large result reaches pandas.

Measures, each in a fresh interpreter (so one run's memory is not the
next's):

  evident   db.query(QUERY).to_pandas()   (rows → columns → Arrow → pandas)
  read_json pandas.read_json(FILE, lines=True) on the `evident query
            --format jsonl` output of the same query

and prints the time of each, their ratio, and evident's peak memory over
the interpreter's before the query, against the DataFrame's own size
(memory_usage(deep=True)). The goals (issue #19): time ≤ 1.5× read_json's,
peak ≤ 2× the DataFrame.

    python python/bench_to_pandas.py --db PATH        # an existing database
    python python/bench_to_pandas.py                  # imports the MTEB file first

Without --db it imports ../shared/data/mteb-results.jsonl.gz (1.29M
results) into a temporary database, which takes a minute or two.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# One measurement, run in a child interpreter; prints a JSON line.
CHILD = r"""
import json, resource, sys, time
import pandas, pyarrow

def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

mode, target, query = sys.argv[1:4]
if mode == "evident":
    import evident
    db = evident.open(target, create=False)
before = rss_kib()
started = time.perf_counter()
if mode == "evident":
    frame = db.query(query).to_pandas()
else:
    frame = pandas.read_json(target, lines=True)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({
    "seconds": seconds,
    "rows": len(frame),
    "frame_bytes": int(frame.memory_usage(deep=True).sum()),
    "peak_over_start_bytes": (peak - before) * 1024,
    "dtypes": {c: str(t) for c, t in frame.dtypes.items()},
}))
"""


def measure(mode: str, target: str, query: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, target, query],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="an existing database (else the MTEB file is imported)")
    parser.add_argument(
        "--data",
        default=os.path.join(ROOT, "..", "shared", "data", "mteb-results.jsonl.gz"),
        help="the JSON Lines to import when --db is not given",
    )
    parser.add_argument("--query", default="results")
    parser.add_argument(
        "--evident",
        default=os.path.join(ROOT, "target", "release", "evident"),
        help="the evident command, for the jsonl that read_json reads",
    )
    parser.add_argument("--runs", type=int, default=3, help="best of N for each side")
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="evident-bench-")
    try:
        db_path = args.db
        if db_path is None:
            import evident

            db_path = os.path.join(scratch, "bench.evident")
            started = time.perf_counter()
            with evident.open(db_path) as db:
                report = db.import_jsonl(args.data)
            print(f"imported: {report} in {time.perf_counter() - started:.1f} s")
        jsonl = os.path.join(scratch, "rows.jsonl")
        with open(jsonl, "wb") as out:
            subprocess.run(
                [args.evident, "--db", db_path, "query", "--format", "jsonl", args.query],
                stdout=out,
                check=True,
            )

        def best(mode: str, target: str) -> dict:
            runs = [measure(mode, target, args.query) for _ in range(args.runs)]
            return min(runs, key=lambda r: r["seconds"])

        ours = best("evident", db_path)
        theirs = best("read_json", jsonl)
        frame_mib = ours["frame_bytes"] / 2**20
        print(f"query: {args.query!r}, {ours['rows']} rows, best of {args.runs}")
        print(f"evident  to_pandas()          {ours['seconds']:6.2f} s")
        print(f"pandas   read_json(lines=True) {theirs['seconds']:6.2f} s")
        print(f"time ratio (goal ≤ 1.5)        {ours['seconds'] / theirs['seconds']:6.2f}")
        print(f"DataFrame's own size           {frame_mib:8.1f} MiB")
        print(
            f"evident peak over start        {ours['peak_over_start_bytes'] / 2**20:8.1f} MiB"
            f" = {ours['peak_over_start_bytes'] / ours['frame_bytes']:.2f}× the DataFrame (goal ≤ 2)"
        )
        print(
            f"read_json peak over start      {theirs['peak_over_start_bytes'] / 2**20:8.1f} MiB"
            f" = {theirs['peak_over_start_bytes'] / theirs['frame_bytes']:.2f}× its DataFrame"
        )
        print(f"dtypes: {ours['dtypes']}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Counts what `evident import --from epoch` should make of Epoch AI's CSVs,
read independently of the importer (Python's csv module, the rules as
src/import/epoch.rs's module documentation states them), so that
tests/importers.rs can check the import against it.

Usage: tools/epoch_count.py [DATA_DIR] [MAKER_TABLE]
Prints one JSON object: results, claims, sources, runs, external rows left
out, and the self-reported claims by subject.
"""

import csv
import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "shared", "data", "epoch-benchmarks")
MAKERS = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", "data", "epoch-makers.csv")

# The headline column of each external file (Epoch's data_loader.py).
HEADLINE = {
    "aider_polyglot": "Percent correct", "anli": "Score", "arc_agi": "Score",
    "arc_ai2": "Challenge score", "balrog": "Average progress", "bbh": "Average",
    "boolq": "Score", "cadeval": "Overall pass (%)", "csqa2": "Score",
    "cybench": "Unguided % Solved", "deepresearch": "Average score",
    "factorio_learning_environment": "Lab Success %", "fictionlivebench": "16k token score",
    "geobench": "ACW Country %", "gsm8k": "EM", "gso_bench": "Score OPT@1",
    "hellaswag": "Overall accuracy", "lambada": "Score", "lech_mazur_writing": "Mean score",
    "livebench": "Global average", "mcbench": "ELO", "metr": "Time horizon", "mmlu": "EM",
    "openbookqa": "Accuracy", "os_world": "Score", "osuniverse": "Weighted Score",
    "piqa": "Score", "scienceqa": "Score", "simple_bench": "Score (AVG@5)",
    "superglue": "Score", "terminal_bench": "Accuracy mean", "the_agent_company": "% Resolved",
    "triviaqa": "EM", "videomme": "Overall (no subtitles)", "vpct": "Correct",
    "weirdml": "Accuracy", "winogrande": "Accuracy",
}


def clean(title):
    title = " ".join(title.split())
    half = len(title) // 2
    if title and len(title) % 2 == 0 and title[:half] == title[half:]:
        return title[:half]
    return title


def maker_table():
    aliases, reports, models = {}, {}, []
    with open(MAKERS, encoding="utf-8") as f:
        rows = csv.reader(line for line in f if not line.startswith("#"))
        next(rows)  # header
        for what, name, value, *_benchmark in rows:
            name = clean(name.strip())
            if what == "alias":
                aliases[name.lower()] = clean(value.strip())
            elif what == "report":
                reports[name.lower()] = [m.strip().lower() for m in value.split(";") if m.strip()]
            elif what == "model":
                models.append((name.lower(), value.strip()))
    models.sort(key=lambda m: -len(m[0]))
    return aliases, reports, models


def main():
    aliases, reports, models = maker_table()

    def maker(model):
        for start, who in models:
            if model.lower().startswith(start):
                return who
        return None

    counts = {"results": 0, "claims": 0, "runs": 0, "left_out": 0, "claims_by_subject": {}}
    titles = set()
    hubs = set()
    with open(os.path.join(DATA, "benchmarks_runs.csv"), encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            if row["Status"].strip() not in ("", "Success") or not row["Best score (across scorers)"].strip():
                continue
            counts["runs"] += 1
            if not row["started_at"].strip():
                counts["undated_runs"] = counts.get("undated_runs", 0) + 1
            hubs.add("frontiermath" if row["task"].lower().startswith("frontiermath") else "hub")
    for path in sorted(glob.glob(os.path.join(DATA, "external_benchmark_*.csv"))):
        stem = os.path.basename(path)[len("external_benchmark_"):-len(".csv")]
        with open(path, encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                model = (row.get("Model version") or "").strip()
                if not model or not (row.get(HEADLINE[stem]) or "").strip():
                    counts["left_out"] += 1
                    continue
                counts["results"] += 1
                title = clean(row.get("Source") or "")
                link = (row.get("Source link") or row.get("Source link (site from table)") or "").strip()
                if not title:
                    title = link
                if not title:
                    continue
                title = aliases.get(title.lower(), title)
                titles.add(title.lower())
                who = maker(model)
                if who and who.lower() in reports.get(title.lower(), []):
                    counts["claims"] += 1
                    by = counts["claims_by_subject"]
                    by[who] = by.get(who, 0) + 1
    counts["results"] += counts["runs"]
    counts["sources"] = len(titles) + len(hubs)
    print(json.dumps(counts, sort_keys=True))


if __name__ == "__main__":
    main()

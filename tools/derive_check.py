#!/usr/bin/env python3
"""Independent oracle for evident's derived claim fields (SPEC sections 1-3 and 8).

Reads one JSON Lines import file, validates it against SPEC section 1 and 3,
applies the derivation rules of SPEC section 2 and prints one TSV row per
claim, sorted by claim id (byte-wise):

    claim_id  status  confidence  support  refute  independent_support
    independent_refute  evidence_count

Benchmark claims (SPEC section 8) are checked against the results: each
kept candidate adds one piece of derived evidence `C~R`, counted with the
recorded evidence in id order. --derived prints those instead, one row per
derived piece: id, stance, gap.

Floats are printed with Python's repr(), the shortest text that reads back
to the same 64-bit float, so a comparison can be exact to the last bit.
The first line is that header unless --no-header is given.

Usage:
    python3 tools/derive_check.py FILE.jsonl [--as-of YYYY-MM-DD]
                                  [--skip-invalid] [--no-header] [--summary]
                                  [--derived]

Standard library only.  Written separately from the Rust engine on purpose:
it shares no code with it, so agreement between the two means something.

Exit status: 0 success, 1 invalid data (every problem is reported on stderr
as FILE:LINE: field: reason, as SPEC section 3 asks), 2 bad command line.
"""

import argparse
import collections
import datetime
import json
import math
import re
import sys

ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}\Z")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
ADMIRALTY = {"A": 0.9, "B": 0.75, "C": 0.5, "D": 0.25, "E": 0.1, "F": 0.5}
MAX_STRING_BYTES = 64 * 1024
ERROR_CAP = 100

# field -> (kind of value, required)
SCHEMA = {
    "source": {
        "id": ("id", True),
        "title": ("string", True),
        "kind": ("word", False),
        "publisher": ("string", False),
        "url": ("string", False),
        "published": ("date", False),
        "affiliations": ("strings", False),
        "reliability": ("reliability", False),
    },
    "claim": {
        "id": ("id", True),
        "text": ("string", True),
        "subject": ("string", False),
        "tags": ("strings", False),
        "created": ("date", False),
        # SPEC 8.1: any of these makes a benchmark claim.
        "model": ("string", False),
        "benchmark": ("string", False),
        "metric": ("string", False),
        "comparator": ("comparator", False),
        "value": ("number", False),
        "unit": ("string", False),
        "tolerance": ("nonnegative", False),
        "split": ("string", False),
        "harness": ("string", False),
        "shots": ("int0", False),
        "attempts": ("int1", False),
    },
    "evidence": {
        "id": ("id", True),
        "claim": ("ref:claim", True),
        "source": ("ref:source", True),
        "stance": ("stance", True),
        "strength": ("unit", False),
        "date": ("date", False),
        "note": ("string", False),
        "result": ("ref:result", False),
    },
    "result": {
        "id": ("id", True),
        "model": ("string", True),
        "benchmark": ("string", True),
        "value": ("number", True),
        "metric": ("string", False),
        "unit": ("string", False),
        "date": ("date", False),
        "source": ("ref:source", False),
        "note": ("string", False),
        "split": ("string", False),
        "harness": ("string", False),
        "shots": ("int0", False),
        "attempts": ("int1", False),
        "stderr": ("nonnegative", False),
        "cites": ("ref:result", False),
    },
}

BENCH_CLAIM_FIELDS = ("model", "benchmark", "metric", "comparator", "value", "unit",
                      "tolerance", "split", "harness", "shots", "attempts")


class Invalid(Exception):
    def __init__(self, field, reason):
        super().__init__(reason)
        self.field = field
        self.reason = reason


def _no_duplicate_keys(pairs):
    seen = {}
    for k, v in pairs:
        if k in seen:
            raise ValueError("duplicate member %r" % k)
        seen[k] = v
    return seen


def _reject_constant(name):
    raise ValueError("%s is not a finite number" % name)


def parse_date(text):
    if not isinstance(text, str) or not DATE_RE.match(text):
        return None
    try:
        return datetime.date(int(text[0:4]), int(text[5:7]), int(text[8:10]))
    except ValueError:
        return None


def is_number(v):
    # bool is a subclass of int in Python; JSON true/false are not numbers.
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    try:
        return math.isfinite(float(v))
    except OverflowError:  # an integer literal too large for a 64-bit float
        return False


def check_string(field, v):
    if not isinstance(v, str):
        raise Invalid(field, "expected a string")
    if len(v.encode("utf-8", "surrogatepass")) > MAX_STRING_BYTES:
        raise Invalid(field, "string longer than 64 KiB")
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        raise Invalid(field, "string is not valid UTF-8 (lone surrogate)")
    return v


def check_value(field, kind, v):
    """Returns the stored form of v, or raises Invalid."""
    if kind == "id" or kind.startswith("ref:"):
        if not isinstance(v, str) or not ID_RE.match(v):
            raise Invalid(field, "invalid id %s: 1-128 characters from A-Z a-z 0-9 . _ : / -, "
                                 "first a letter or digit" % json.dumps(v))
        return v
    if kind == "string":
        return check_string(field, v)
    if kind == "word":
        check_string(field, v)
        if not re.match(r"[a-z]+\Z", v):
            raise Invalid(field, "expected a lowercase word, got %s" % json.dumps(v))
        return v
    if kind == "date":
        d = parse_date(v)
        if d is None:
            raise Invalid(field, "expected a real calendar date YYYY-MM-DD, got %s" % json.dumps(v))
        return d
    if kind == "strings":
        if not isinstance(v, list):
            raise Invalid(field, "expected a list of strings")
        for i, s in enumerate(v):
            check_string("%s[%d]" % (field, i), s)
        return list(v)
    if kind == "number":
        if not is_number(v):
            raise Invalid(field, "expected a finite number")
        return float(v)
    if kind == "unit":
        if not is_number(v):
            raise Invalid(field, "expected a number in [0, 1]")
        f = float(v)
        if not 0.0 <= f <= 1.0:
            raise Invalid(field, "%r is outside [0, 1]" % f)
        return f
    if kind == "reliability":
        if isinstance(v, str):
            if v in ADMIRALTY:
                return ADMIRALTY[v]
            raise Invalid(field, "expected a number in [0, 1] or an Admiralty letter A-F, got %s"
                          % json.dumps(v))
        return check_value(field, "unit", v)
    if kind == "nonnegative":
        if not is_number(v):
            raise Invalid(field, "expected a number >= 0")
        f = float(v)
        if f < 0.0:
            raise Invalid(field, "%r is negative" % f)
        return f
    if kind in ("int0", "int1"):
        least = 0 if kind == "int0" else 1
        if not is_number(v) or float(v) != math.floor(float(v)) or float(v) < least:
            raise Invalid(field, "expected a whole number >= %d, got %s" % (least, json.dumps(v)))
        return int(float(v))
    if kind == "comparator":
        if v not in ("=", ">=", "<="):
            raise Invalid(field, "expected =, >= or <=, got %s" % json.dumps(v))
        return v
    if kind == "stance":
        if v not in ("supports", "refutes"):
            raise Invalid(field, "expected \"supports\" or \"refutes\", got %s" % json.dumps(v))
        return v
    raise AssertionError(kind)


def parse_record(obj):
    """Validates one decoded line; returns (type, record dict with stored values)."""
    if not isinstance(obj, dict):
        raise Invalid("type", "a line must be a JSON object")
    if "type" not in obj:
        raise Invalid("type", "missing required field")
    rtype = obj["type"]
    if rtype not in SCHEMA:
        raise Invalid("type", "unknown record type %s (expected source, claim, evidence or result)"
                      % json.dumps(rtype))
    schema = SCHEMA[rtype]
    problems = []
    rec = {}
    for k, v in obj.items():
        if k == "type":
            continue
        if k not in schema:
            problems.append(Invalid(k, "unknown field for a %s" % rtype))
            continue
        try:
            rec[k] = check_value(k, schema[k][0], v)
        except Invalid as e:
            problems.append(e)
    for k, (_, required) in schema.items():
        if required and k not in obj:
            problems.append(Invalid(k, "missing required field"))
    if rtype == "claim" and any(k in rec for k in BENCH_CLAIM_FIELDS):
        for k in ("model", "benchmark", "value"):
            if k not in obj:
                problems.append(Invalid(k, "missing: a benchmark claim needs it"))
        if "subject" not in obj:
            problems.append(Invalid("subject", "missing: a benchmark claim needs a subject"))
        # SPEC 8.1 defaults, stored.
        rec.setdefault("metric", "score")
        rec.setdefault("comparator", "=")
        if "tolerance" not in rec:
            unit = ascii_lower(rec.get("unit"))
            rec["tolerance"] = 2.0 if unit == "%" else 0.02 if unit == "fraction" else 0.0
    if problems:
        raise ExceptionGroupLike(problems)
    return rtype, rec


def ascii_lower(s):
    """Lowercases A-Z only (SPEC 8 compares ignoring ASCII case)."""
    if s is None:
        return None
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


class ExceptionGroupLike(Exception):
    def __init__(self, problems):
        super().__init__("; ".join(p.reason for p in problems))
        self.problems = problems


def load(path):
    """Returns (records by id, kind by id, line by id, errors)."""
    errors = []
    lines = []  # (lineno, type, rec)
    with open(path, "rb") as f:
        raw = f.read()
    for lineno, line in enumerate(raw.split(b"\n"), 1):
        if line.endswith(b"\r"):
            line = line[:-1]
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            errors.append((lineno, "line", "not valid UTF-8"))
            continue
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            obj = json.loads(text, object_pairs_hook=_no_duplicate_keys,
                             parse_constant=_reject_constant)
        except ValueError as e:
            errors.append((lineno, "line", "invalid JSON: %s" % e))
            continue
        try:
            rtype, rec = parse_record(obj)
        except Invalid as e:
            errors.append((lineno, e.field, e.reason))
            continue
        except ExceptionGroupLike as g:
            for p in g.problems:
                errors.append((lineno, p.field, p.reason))
            continue
        lines.append((lineno, rtype, rec))

    # Duplicate ids, then references (which may point forward), repeated until
    # nothing more is dropped so that --skip-invalid leaves a consistent set.
    kind_of, line_of, recs = {}, {}, {}
    for lineno, rtype, rec in lines:
        rid = rec["id"]
        if rid in kind_of:
            errors.append((lineno, "id", "duplicate id %s (first defined on line %d)"
                           % (json.dumps(rid), line_of[rid])))
            continue
        kind_of[rid], line_of[rid], recs[rid] = rtype, lineno, rec
    changed = True
    while changed:
        changed = False
        for rid in sorted(recs, key=lambda s: line_of[s]):
            rtype = kind_of[rid]
            for field, (kind, _) in SCHEMA[rtype].items():
                if not kind.startswith("ref:") or field not in recs[rid]:
                    continue
                target, want = recs[rid][field], kind[4:]
                if target not in recs:
                    errors.append((line_of[rid], field, "no %s with id %s" % (want, json.dumps(target))))
                elif kind_of[target] != want:
                    errors.append((line_of[rid], field, "%s is a %s, not a %s"
                                   % (json.dumps(target), kind_of[target], want)))
                else:
                    continue
                del recs[rid]
                changed = True
                break
    # SPEC 8.1: a cited result cites none, and a result never cites itself.
    for rid in sorted(recs, key=lambda s: line_of[s]):
        if kind_of[rid] != "result" or "cites" not in recs[rid]:
            continue
        target = recs[rid]["cites"]
        if target == rid or "cites" in recs.get(target, {}):
            errors.append((line_of[rid], "cites", "%s re-reports another result" % json.dumps(target)))
    errors.sort()
    kind_of = {k: v for k, v in kind_of.items() if k in recs}
    return recs, kind_of, line_of, errors


def bytewise(s):
    return s.encode("utf-8")


def derive(claim, evidence, sources):
    """SPEC section 2 for one claim over the given evidence (any order)."""
    subject = claim.get("subject")
    not_s = not_r = not_is = not_ir = 1.0
    for e in sorted(evidence, key=lambda e: bytewise(e["id"])):
        src = sources[e["source"]]
        weight = e.get("strength", 1.0) * src.get("reliability", 0.5)
        independent = not (subject is not None and any(
            subject.lower() == a.lower() for a in src.get("affiliations", [])))
        keep = 1.0 - weight
        if e["stance"] == "supports":
            not_s *= keep
            if independent:
                not_is *= keep
        else:
            not_r *= keep
            if independent:
                not_ir *= keep
    support, refute = 1.0 - not_s, 1.0 - not_r
    i_s, i_r = 1.0 - not_is, 1.0 - not_ir
    if i_s >= 0.7 and i_r < 0.3:
        status = "verified"
    elif i_r >= 0.7 and i_s < 0.3:
        status = "refuted"
    elif i_s >= 0.3 and i_r >= 0.3:
        status = "contested"
    else:
        status = "unresolved"
    confidence = (1.0 + support - refute) / 2.0
    return status, confidence, support, refute, i_s, i_r, len(evidence)


def judge(cid, claim, results, recorded):
    """SPEC 8.2-8.3 for one benchmark claim: the derived evidence of the
    kept candidates. `results`: visible results; `recorded`: the claim's
    visible recorded evidence."""
    key = (ascii_lower(claim["model"]), ascii_lower(claim["benchmark"]),
           ascii_lower(claim["metric"]))
    kept = []
    for rid in sorted(results, key=bytewise):
        r = results[rid]
        if (ascii_lower(r["model"]), ascii_lower(r["benchmark"]),
                ascii_lower(r.get("metric", "score"))) != key:
            continue
        if "source" not in r or "cites" in r:
            continue
        cu, ru = ascii_lower(claim.get("unit")), ascii_lower(r.get("unit"))
        if cu == ru:
            convert = lambda x: x
        elif cu == "%" and ru == "fraction":
            convert = lambda x: x * 100.0
        elif cu == "fraction" and ru == "%":
            convert = lambda x: x / 100.0
        else:
            continue
        differs = False
        for field in ("split", "harness", "shots", "attempts"):
            if field not in claim:
                continue
            if field not in r:
                differs = True
            elif field in ("split", "harness"):
                differs = ascii_lower(r[field]) != ascii_lower(claim[field])
            else:
                differs = r[field] != claim[field]
            if differs:
                break
        if differs:
            continue
        if any(e.get("result") == rid for e in recorded):
            continue
        kept.append((rid, r, convert))
    # One source, one voice: the latest date, dated over undated, smaller id.
    best = {}
    for rid, r, convert in kept:
        src = r["source"]
        if src not in best:
            best[src] = (rid, r, convert)
            continue
        brid, br, _ = best[src]
        d, bd = r.get("date"), br.get("date")
        if (d is not None and (bd is None or d > bd)) or (d == bd and bytewise(rid) < bytewise(brid)):
            best[src] = (rid, r, convert)
    out = []
    for rid, r, convert in best.values():
        value = convert(float(r["value"]))
        stderr = convert(float(r.get("stderr", 0.0)))
        gap = value - claim["value"]
        tolerance = max(claim["tolerance"], 2.0 * stderr)
        cmp = claim["comparator"]
        if cmp == "=":
            supports = abs(gap) <= tolerance
        elif cmp == ">=":
            supports = gap >= -tolerance
        else:
            supports = gap <= tolerance
        e = {"id": "%s~%s" % (cid, rid), "claim": cid, "source": r["source"],
             "stance": "supports" if supports else "refutes", "strength": 1.0,
             "result": rid, "gap": gap}
        if "date" in r:
            e["date"] = r["date"]
        out.append(e)
    return out


def effective_date(e, sources):
    if "date" in e:
        return e["date"]
    return sources[e["source"]].get("published")


def lint(recs, kind_of, sources, path):
    """Evidence visible at a date when its source or result is not yet visible is
    legal (SPEC section 2 makes evidence visibility depend on its own effective
    date only) but surprising; fixtures should avoid it."""
    for k in sorted(recs, key=bytewise):
        if kind_of[k] != "evidence":
            continue
        e = recs[k]
        d = effective_date(e, sources)
        pub = sources[e["source"]].get("published")
        if d is not None and pub is not None and d < pub:
            print("%s: warning: %s dated %s before its source %s (published %s)"
                  % (path, k, d, e["source"], pub), file=sys.stderr)
        if "result" in e:
            r = recs[e["result"]]
            if d is None or r.get("date") is None or d < r["date"]:
                print("%s: warning: %s (effective %s) cites result %s dated %s"
                      % (path, k, d, e["result"], r.get("date")), file=sys.stderr)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("--as-of", dest="as_of", metavar="YYYY-MM-DD")
    ap.add_argument("--skip-invalid", action="store_true",
                    help="derive from the valid lines and report the rest")
    ap.add_argument("--no-header", action="store_true")
    ap.add_argument("--summary", action="store_true",
                    help="also print status counts to stderr")
    ap.add_argument("--derived", action="store_true",
                    help="print the derived evidence of benchmark claims (id, stance, gap) "
                         "instead of the claims")
    ap.add_argument("--lint", action="store_true",
                    help="also warn (stderr) about evidence dated before its source or result, "
                         "which makes `as of` views ambiguous")
    args = ap.parse_args(argv)
    as_of = None
    if args.as_of is not None:
        as_of = parse_date(args.as_of)
        if as_of is None:
            ap.error("--as-of: expected a real calendar date YYYY-MM-DD")

    try:
        recs, kind_of, _, errors = load(args.file)
    except OSError as e:
        print("%s: %s" % (args.file, e.strerror), file=sys.stderr)
        return 1
    for lineno, field, reason in errors[:ERROR_CAP]:
        print("%s:%d: %s: %s" % (args.file, lineno, field, reason), file=sys.stderr)
    if len(errors) > ERROR_CAP:
        print("%s: %d more problems not shown" % (args.file, len(errors) - ERROR_CAP), file=sys.stderr)
    if errors and not args.skip_invalid:
        return 1

    sources = {k: v for k, v in recs.items() if kind_of[k] == "source"}
    if args.lint:
        lint(recs, kind_of, sources, args.file)
    # SPEC 2: in an as-of view a claim created after the day is not
    # visible, and neither is its evidence (it is never looked up below).
    claims = {k: v for k, v in recs.items() if kind_of[k] == "claim"
              and (as_of is None or v.get("created") is None or v["created"] <= as_of)}
    by_claim = collections.defaultdict(list)
    for k, e in recs.items():
        if kind_of[k] != "evidence":
            continue
        if as_of is not None:
            d = effective_date(e, sources)
            if d is None or d > as_of:
                continue
        by_claim[e["claim"]].append(e)

    results = {k: v for k, v in recs.items() if kind_of[k] == "result"
               and (as_of is None or (v.get("date") is not None and v["date"] <= as_of))}
    derived = []
    for cid, claim in claims.items():
        if "model" in claim:
            mine = judge(cid, claim, results, by_claim.get(cid, []))
            by_claim[cid].extend(mine)
            derived.extend(mine)

    out = sys.stdout
    if args.derived:
        if not args.no_header:
            out.write("evidence_id\tstance\tgap\n")
        for e in sorted(derived, key=lambda e: bytewise(e["id"])):
            out.write("%s\t%s\t%r\n" % (e["id"], e["stance"], e["gap"]))
        return 0
    if not args.no_header:
        out.write("claim_id\tstatus\tconfidence\tsupport\trefute\t"
                  "independent_support\tindependent_refute\tevidence_count\n")
    counts = collections.Counter()
    for cid in sorted(claims, key=bytewise):
        st, conf, s, r, i_s, i_r, n = derive(claims[cid], by_claim.get(cid, []), sources)
        counts[st] += 1
        out.write("%s\t%s\t%r\t%r\t%r\t%r\t%r\t%d\n" % (cid, st, conf, s, r, i_s, i_r, n))
    if args.summary:
        for st in ("verified", "refuted", "contested", "unresolved"):
            print("%s\t%d" % (st, counts[st]), file=sys.stderr)
        print("total\t%d" % sum(counts.values()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Would the application's own vocabulary size loops better than the scanner's noun lists?
Reads every labelled finding (bench/scan/labels, listed and hidden samples) that sits in a loop
the scanner sized (`context.size`: data or unknown), takes the head nouns of the loop's
variable and collection, and asks whether one of them names a model or table of the same
corpus (Django/SQLAlchemy model classes, knex/redbean/Sequelize/Mongoose/TypeORM/Prisma table
and model names, CREATE TABLE). Prints the share worth changing per (size, names a model).
Standard library only; run by vocabulary.sh.

    vocabulary.py --scans DIR    # DIR/<corpus>.json: `perfhive scan --all-findings --format json`
"""

import argparse
import collections
import glob
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, ".corpus")
PY = [
    r"^class\s+(\w+)\s*\([^)]*\b(?:models\.Model|Model|db\.Model|Base|DeclarativeBase|"
    r"AbstractUser|AbstractBaseUser|\w+Model|MPTTModel|PolymorphicModel)\b[^)]*\)\s*:",
    r"__tablename__\s*=\s*['\"](\w+)['\"]",
]
JS = [
    r"\bknex\s*\(\s*['\"](\w+)['\"]",
    r"\.(?:createTable|table|from|into|hasTable)\s*\(\s*['\"](\w+)['\"]",
    r"\bR\.(?:find|findOne|dispense|load|count|getAll|trash)\s*\(\s*['\"](\w+)['\"]",
    r"\bdefine\s*\(\s*['\"](\w+)['\"]",
    r"\bmodel\s*\(\s*['\"](\w+)['\"]",
    r"@Entity\s*\([^)]*\)\s*(?:export\s+)?class\s+(\w+)",
    r"\bgetRepository\s*\(\s*(?:\w+\.)?(\w+?)(?:_\d+)?(?:\.\w+)?\s*\)",
    r"\bprisma\.(\w+)\.",
    r"\bdb\.collection\s*\(\s*['\"](\w+)['\"]",
    r"tableName\s*[:=]\s*['\"](\w+)['\"]",
    r"CREATE TABLE (?:IF NOT EXISTS )?[`\"]?(\w+)",
]
# words too general to say anything about a loop's size
GENERIC = set(
    "key info if ok result object record value item entry data row type name id list map set "
    "log meta config option field column table".split()
)


def singular(w):
    w = w.lower()
    for suf, rep in (("ies", "y"), ("sses", "ss"), ("ches", "ch"), ("shes", "sh"), ("xes", "x"), ("s", "")):
        if w.endswith(suf) and len(w) > len(suf) + 2:
            return w[: -len(suf)] + rep
    return w


def head(name):
    """The last word of an identifier (camelCase or snake_case), singular."""
    words = name.split("_") if name.islower() else re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", name)
    words = [w for w in words if w]
    return singular(words[-1]) if words else None


def vocabulary(corpus):
    found = set()
    for dirpath, _, files in os.walk(os.path.join(CORPUS, corpus)):
        if "node_modules" in dirpath:
            continue
        for f in files:
            pats = PY if f.endswith(".py") else JS if f.endswith((".js", ".ts", ".mjs", ".cjs", ".sql")) else None
            if not pats:
                continue
            with open(os.path.join(dirpath, f), errors="replace") as fh:
                text = fh.read()
            for pat in pats:
                for m in re.finditer(pat, text, re.M):
                    h = head(m.group(1))
                    if h and h not in GENERIC and len(h) > 2:
                        found.add(h)
    return found


def loop_nouns(header):
    m = re.search(r"\bfor\s*\(\s*(?:const|let|var)?\s*(.*?)\s+(?:of|in)\s+(.*?)\)\s*\{?$", header) or re.search(
        r"\bfor\s+(.*?)\s+in\s+(.*?):\s*$", header
    )
    parts = m.groups() if m else [" ".join(re.findall(r"[A-Za-z_]\w*", header)[-3:])]
    nouns = []
    for part in parts:
        ids = re.findall(r"[A-Za-z_]\w*", part)
        if ids and head(ids[-1]):
            nouns.append(head(ids[-1]))
    return nouns


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scans", required=True)
    args = ap.parse_args()
    labels = {}
    for f in glob.glob(os.path.join(HERE, "labels", "*.tsv")) + glob.glob(os.path.join(HERE, "labels", "hidden", "*.tsv")):
        corpus = os.path.basename(f)[:-4]
        with open(f) as fh:
            for line in fh:
                p = line.rstrip("\n").split("\t")
                if len(p) >= 4 and p[0] != "rule_id" and not p[0].startswith("#"):
                    labels[(corpus, p[0], p[1], p[2])] = p[3]
    tally = collections.defaultdict(lambda: [0, 0])
    for path in sorted(glob.glob(os.path.join(args.scans, "*.json"))):
        corpus = os.path.basename(path)[:-5]
        with open(path) as fh:
            report = json.load(fh)
        vocab = vocabulary(corpus)
        for f in report["findings"]:
            verdict = labels.get((corpus, f["rule_id"], f["file"], str(f["line"])))
            ctx = f.get("context") or {}
            if verdict is None or ctx.get("size") not in ("data", "unknown"):
                continue
            named = any(n in vocab for n in loop_nouns(ctx.get("text") or ""))
            t = tally[(ctx["size"], "names a model" if named else "does not")]
            t[0] += verdict == "TP"
            t[1] += 1
    for (size, named), (tp, n) in sorted(tally.items()):
        print(f"loop size {size:8} noun {named:14} worth changing {tp}/{n} ({100 * tp / n:.0f}%)")


if __name__ == "__main__":
    main()

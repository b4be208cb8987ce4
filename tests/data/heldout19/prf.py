#!/usr/bin/env python3
"""Per-rule precision / recall / F1 of a run against labels.csv (issue #19).
A call is flagged for a rule when findings.csv has a row with that rule.
Usage: prf.py SET_DIR RUN_DIR"""
import csv, sys, collections
set_dir, run = sys.argv[1], sys.argv[2]
labels = list(csv.DictReader(open(f"{set_dir}/labels.csv", encoding="utf-8")))
flag = collections.defaultdict(set)
sev = {}
with open(f"{run}/findings.csv", encoding="utf-8-sig") as f:
    for r in csv.DictReader(f):
        flag[r["rule"]].add(r["call_id"])
        sev[(r["call_id"], r["rule"])] = r.get("severity", "")
rules = sorted({l["rule"] for l in labels})
ok_all = True
for rule in rules:
    tp = fp = fn = na_hits = 0
    wrong = []
    for l in (x for x in labels if x["rule"] == rule):
        got = l["call_id"] in flag[rule]
        if l["label"] == "na":
            if got:
                na_hits += 1
                wrong.append(f"  NA-HIT {l['call_id']} ({l['note']})")
            continue
        want = l["label"] == "violated"
        if got and want: tp += 1
        elif got: fp += 1; wrong.append(f"  FP {l['call_id']} ({l['note']})")
        elif want: fn += 1; wrong.append(f"  FN {l['call_id']} ({l['note']})")
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    print(f"{rule:36s} P={p:.2f} R={r:.2f} F1={f1:.2f} tp={tp} fp={fp} fn={fn} na_findings={na_hits}")
    for w in wrong:
        print(w)

#!/usr/bin/env python3
"""Straightforward Python baseline of `hotline-qa score` (issue 5).

What this is
------------
A plain, single-process Python 3 implementation of the eleven service norms
with the default scorecard, written the way a QA engineer would write it in
a day or two: standard library only (json, csv, re, argparse, unicodedata),
no numpy, no multiprocessing, no C extensions, and it never calls the Rust
binary. It exists so that BENCHMARKS.md can compare the throughput of
`hotline-qa score` with "a straightforward Python implementation of the same
rules, on the same machine" (issue 5) with a reproducible command. It is a
reference for timing and a cross-check of the rules, not a product: no
reports, no workflow timeliness, no reviews, no manual scores, no config.

How it works (per call): `json.loads` of the line; for each utterance the
"clean" text (letters and digits only, ASCII lower-cased) with a list that
maps each clean character back to the original text; each lexicon is ONE
compiled `re` alternation of its plain entries, longest first (so Python's
leftmost-first alternation gives the leftmost-longest, non-overlapping hits
the Rust automaton gives), run on the clean text; exclusion contexts are
found with `str.find` (all occurrences) and drop a hit lying inside one;
`re:` entries are Python `re` on the original text (`\\p{P}` is spelled out
as a class of every Unicode punctuation character, built with unicodedata at
start-up). Greeting and closing use plain dynamic-programming tables: edit
distance (prefix / substring alignment) and longest common subsequence, as
src/text.rs defines them. Scores: per norm, any finding that costs takes the
norm's points (per_finding = 0 in the default scorecard); score = points
obtained / points assessable x 100, rounded to 2 decimals (half away from
zero); an insult (taboo.insult) that costs makes the score 0 (red line);
passed = score >= 80.

Needs-review: as in the default scorecard (`needs_review_costs_points =
false`), a finding of a word rule (src/norms/mod.rs WORD_RULES) in an
utterance heard with ASR confidence < 0.6, or overlapping another speaker's
utterance by more than 0.5 s, is written (needs_review = true) but costs no
points and does not set the red line.

Usage
-----
    python3 benches/baseline.py CALLS.jsonl --directory DIRECTORY.csv --out DIR
            [--tickets TICKETS.csv] [--compare RUST_OUT_DIR]
    python3 benches/baseline.py --out DIR --compare RUST_OUT_DIR   # compare only

Writes DIR/calls.csv (call_id, operator_id, operator_name, team, started_at,
score, passed, red_line, one column per norm with the points obtained, empty
when not assessed) and DIR/findings.csv (call_id, operator_id, norm, rule,
severity, points, at_s, utterance_index, speaker, needs_review), with the
column names of hotline-qa's files. `--compare RUST_OUT_DIR` reads
RUST_OUT_DIR/calls.csv (from `hotline-qa score ... --out RUST_OUT_DIR`) and
prints how many calls have the same score (to 2 decimals), the same
passed / red_line, and, per norm, the same points (both empty counts as
agreeing), then how many findings are identical (call, rule,
utterance_index, points, needs_review) and the number per rule on each side.

The lexicons are read from the repository (`Path(__file__).parent.parent /
"lexicons"`), the directory from --directory (default: lexicons/directory.csv).

Agreement measured (generated 10k day, calls only, no tickets):

    ./target/release/hotline-qa score /tmp/hotline-qa-bench/d10000/calls.jsonl \\
        --directory /tmp/hotline-qa-bench/d10000/directory.csv \\
        --out /tmp/bl-rust --quiet --no-reports
    python3 benches/baseline.py /tmp/hotline-qa-bench/d10000/calls.jsonl \\
        --directory /tmp/hotline-qa-bench/d10000/directory.csv \\
        --out /tmp/bl-py --compare /tmp/bl-rust

Measured 2026-11-29 against the release binary built from the tree of that
day: on d10000, 10000 / 10000 calls with the same score, the same passed and
red_line, and 10000 / 10000 on every one of the eleven norms (process and
ticket are empty on both sides: no tickets given); 3602 / 3602 findings
identical (call, rule, utterance_index, points, needs_review). The same on
d100000 (100000 / 100000 scores, 36536 / 36536 findings), on d10000 with its
tickets (hotline-qa takes them as an input, `score calls.jsonl
tickets.csv ...` or `--tickets tickets.csv`; here `--tickets tickets.csv`): 10000 / 10000, 4252 / 4252
findings, and on samples/ and tests/data/labelled{,2}/ (all calls equal).

Wall time on the project's 2-core machine (shared with other benchmarks,
load about 1.7), `/usr/bin/time -f "%e s %M KB" python3 benches/baseline.py
... --out DIR` (calls only, Python 3.11.7): d10000 about 4.0 s / 50 MB,
d100000 34.0 s / 30 MB, i.e. about 3,000 calls/s, one core.

Simplified or left out (compared with the Rust code; be aware of these
before reading the comparison)
----------------------------------------------------------------------
- Inputs: plain UTF-8 `.jsonl` only (no `.jsonl.gz`, no stdin, no line-length
  or utterance-count limits). Records are rejected (written to
  DIR/rejects.csv, not scored) for the main reasons the Rust reader has:
  invalid JSON, missing call_id / operator_id / started_at / utterances,
  started_at not parseable by `datetime.fromisoformat`, empty utterances,
  unknown speaker, missing or wrong-typed start / end / text, negative or
  reversed times, confidence outside 0..1, duplicate call_id (first kept).
  The Rust reader's exact messages and its other corner cases (a JSON array
  line, ids given as floats, ...) are not reproduced.
- started_at is written as given, not re-formatted as RFC 3339.
- "Letters and digits" is Python's `str.isalnum()`; Rust uses
  `char::is_alphanumeric()`, which also counts the Other_Alphabetic marks
  (combining vowel signs of Indic scripts and the like). Identical on
  Chinese and ASCII text. Regex `$` is Python's (also matches before a final
  newline).
- Tickets (`--tickets`) are optional and read simply: a UTF-8 CSV (BOM or
  not; no GBK, no .xlsx) with the English or Chinese headers; a row without
  ticket_id / operator_id / accepted_at, or with a duplicate ticket_id, is
  skipped; the first ticket of a call_id is the call's ticket. Times are
  not validated (the Rust reader rejects a row with an unreadable time, so
  such a ticket would be linked here and not there). Without --tickets,
  process and ticket are "not assessed" for every call, exactly as
  `hotline-qa score` without --tickets does.
- Only the default scorecard: no --config, no disabled rules, no manual
  scores, no reviews / appeals, no per_finding deduction, no grades.
- Outputs: only calls.csv, findings.csv and rejects.csv (no excerpts, no
  operators / units / tickets tables, no parquet, no HTML / xlsx).
- The directory is read as UTF-8 only (no GBK) and not validated (an
  alias of one character is refused by hotline-qa, taken here).

Issue 17 rules reproduced here (2026-12-06): the directory's `aliases`
column, the everyday names of unit kinds (EVERYDAY, a copy of
src/lexicon/directory.rs), weak aliases and leftmost-longest naming; the
unit a number is given with taken from its clause (units_given_with); the
greeting judged on the first agent utterance, joined only by ASR pieces of
the greeting; the mocking questions of lexicons/blame.txt need nothing
here (the lexicons are read from the repository). Checked after the change:
a generated 5,000-call day (seed 7), samples/ and tests/data/labelled{,2}/
with their tickets, all calls and findings equal.
"""

import argparse
import csv
import json
import math
import re
import sys
import unicodedata
from datetime import datetime
from pathlib import Path

LEXICON_DIR = Path(__file__).resolve().parent.parent / "lexicons"

NORMS = ["greeting", "closing", "courtesy", "pace", "clarity", "accuracy",
         "process", "communication", "attitude", "ticket", "taboo"]

# ---------------------------------------------------------------- scorecard
# The default scorecard (`hotline-qa config`).
POINTS = {"greeting": 5.0, "closing": 5.0, "courtesy": 10.0, "pace": 5.0,
          "clarity": 5.0, "accuracy": 15.0, "process": 15.0,
          "communication": 10.0, "attitude": 10.0, "ticket": 10.0,
          "taboo": 10.0}
PASS_MARK = 80.0
GREETING_TEXT = "您好！市长热线，请问有什么可以帮到您？"
GREETING_PARTS = ["您好", "市长热线", "有什么可以帮到您|有什么可以帮您"]
PART_MAX_EDITS = 1
GREETING_MAX_RATIO = 0.25
CLOSING_TEXTS = [
    "感谢您的来电，再见！",
    "感谢您对我们工作的支持，您的问题我将会尽快帮您反映，再见。",
    "感谢您对我们工作的支持，祝您生活愉快，再见。",
]
CLOSING_MAX_RATIO = 0.25
CLOSING_LAST = 2
NI_LIMIT = 2
MIN_CPM, MAX_CPM, PACE_MIN_CHARS = 120.0, 300.0, 5
MIN_CONFIDENCE, REPEAT_LIMIT = 0.75, 2
CUE_WINDOW = 12
LEGAL_SUB, DISCIPLINE_SUB, PRAISE_HOTLINE_SUB = "涉法涉诉", "违法乱纪", "表扬热线"
DISCIPLINE_NUMBERS = ["12388"]
INTERRUPT_OVERLAP, INTERRUPT_LIMIT, MIN_CALLER_UTTS = 1.0, 2, 4
FIRST_RESPONSE_S, MAX_GAP_S = 3.0, 5.0
MIN_CONTENT_DISPATCHED, MIN_CONTENT_DIRECT = 20, 10
STAFF_SUB = "工作人员态度"
REVIEW_LOW_CONFIDENCE, REVIEW_OVERLAP_S = 0.6, 0.5

# Rules whose findings rest on recognised words: in an uncertain utterance
# they wait for a reviewer and cost nothing (src/norms/mod.rs WORD_RULES).
WORD_RULES = {
    "greeting.missing_part", "greeting.not_standard", "closing.missing",
    "courtesy.slang", "courtesy.ni", "accuracy.unknown_number",
    "accuracy.wrong_unit_number", "process.legal_dispatched",
    "process.legal_no_guidance", "process.discipline_dispatched",
    "process.discipline_no_channel", "process.praise_handling",
    "process.emergency_handling", "communication.no_question",
    "taboo.forbidden_phrase", "taboo.blame", "taboo.insult",
}

SPEAKERS = {
    "agent": "agent", "operator": "agent", "seat": "agent", "staff": "agent",
    "service": "agent", "话务员": "agent", "坐席": "agent", "客服": "agent",
    "座席": "agent", "caller": "caller", "customer": "caller",
    "citizen": "caller", "user": "caller", "client": "caller",
    "来电人": "caller", "市民": "caller", "客户": "caller", "来电者": "caller",
    "群众": "caller", "unit": "unit", "department": "unit",
    "承办单位": "unit", "单位": "unit", "部门": "unit",
}

# ---------------------------------------------------------------- clean text
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                            "abcdefghijklmnopqrstuvwxyz")
COUNTED_RUN = re.compile(r"[^\W_]+")  # runs of str.isalnum() characters


def clean(text):
    """Letters and digits only, ASCII lower-cased."""
    return "".join(COUNTED_RUN.findall(text)).translate(ASCII_LOWER)


def clean_with_map(text):
    """The clean text and, for each of its characters, its index in text."""
    parts, where = [], []
    for m in COUNTED_RUN.finditer(text):
        parts.append(m.group())
        where.extend(range(m.start(), m.end()))
    return "".join(parts).translate(ASCII_LOWER), where


def is_ascii_word(c):
    return c < "\x80" and c.isalnum()


def phrase_chars(clean_text):
    """A clean text without ASCII digits (as greeting/closing compare)."""
    return [c for c in clean_text if not ("0" <= c <= "9")]


# ---------------------------------------------------------------- lexicons
PUNCT_CLASS = "".join(
    re.escape(chr(cp)) for cp in range(sys.maxunicode + 1)
    if unicodedata.category(chr(cp)).startswith("P"))


def rust_regex_to_python(pattern):
    """Rewrites the one Rust-only construct the lexicons use: \\p{P}."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        if pattern.startswith(r"\p{P}", i):
            out.append(PUNCT_CLASS if in_class else "[" + PUNCT_CLASS + "]")
            i += 5
            continue
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
        elif c == "]" and in_class:
            in_class = False
        out.append(c)
        i += 1
    return "".join(out)


class Lexicon:
    def __init__(self, path):
        self.entries = []        # clean forms of the plain entries
        self.edges = {}          # clean entry -> (starts ASCII, ends ASCII)
        self.exclusions = []     # clean forms
        self.regexes = []
        self.exclusion_regexes = []
        with open(path, encoding="utf-8-sig") as f:
            for raw in f:
                line = raw.strip()
                if not line or line.startswith("#"):
                    continue
                if line.startswith("re:"):
                    self.regexes.append(
                        re.compile(rust_regex_to_python(line[3:].strip())))
                elif line.startswith("!re:"):
                    self.exclusion_regexes.append(
                        re.compile(rust_regex_to_python(line[4:].strip())))
                elif line.startswith("!"):
                    self.exclusions.append(clean(line[1:].strip()))
                else:
                    c = clean(line)
                    self.entries.append(c)
                    self.edges[c] = (is_ascii_word(c[0]), is_ascii_word(c[-1]))
        if self.entries:
            alts = sorted(set(self.entries), key=len, reverse=True)
            self.literal = re.compile("|".join(re.escape(e) for e in alts))
        else:
            self.literal = None

    def find(self, text, clean_text, where):
        """Hits in text as (start, end) indexes of the original text, in order."""
        hits = []
        if self.literal is not None:
            for m in self.literal.finditer(clean_text):
                start, end = where[m.start()], where[m.end() - 1] + 1
                first_ascii, last_ascii = self.edges[m.group()]
                if first_ascii and start > 0 and is_ascii_word(text[start - 1]):
                    continue
                if last_ascii and end < len(text) and is_ascii_word(text[end]):
                    continue
                hits.append((start, end))
        for rx in self.regexes:
            for m in rx.finditer(text):
                if m.start() != m.end():
                    hits.append((m.start(), m.end()))
        if not hits:
            return hits
        spans = []
        for ex in self.exclusions:
            k = clean_text.find(ex)
            while k >= 0:
                spans.append((where[k], where[k + len(ex) - 1] + 1))
                k = clean_text.find(ex, k + 1)
        for rx in self.exclusion_regexes:
            spans.extend((m.start(), m.end()) for m in rx.finditer(text))
        if spans:
            hits = [h for h in hits
                    if not any(s <= h[0] and h[1] <= e for s, e in spans)]
        return sorted(set(hits))

    def find_in(self, text):
        """find() on a text that is not an utterance (a window of one)."""
        c, where = clean_with_map(text)
        return self.find(text, c, where)


def load_lexicons():
    names = ["slang", "address_ni", "forbidden", "blame", "insults",
             "repeat_requests", "wait_requests", "questions", "legal_matters",
             "legal_channels", "phone_cues", "not_phone"]
    return {n: Lexicon(LEXICON_DIR / (n + ".txt")) for n in names}


# ---------------------------------------------------------------- directory
# As src/lexicon/directory.rs: derived forms, official abbreviations, the
# everyday names of a unit's kind, the file's `aliases` column; weak
# aliases (common nouns) name a unit only before a unit word or a digit;
# leftmost-longest matching.
ABBREVIATIONS = [
    ("交通警察", "交警"), ("人力资源和社会保障", "人社"), ("住房和城乡建设", "住建"),
    ("市场监督管理", "市场监管"), ("城市管理", "城管"), ("生态环境", "环保"),
    ("卫生健康委员会", "卫健委"), ("自然资源和规划", "自然资源"),
    ("住房公积金管理中心", "公积金中心"), ("医疗保障", "医保"), ("公安局", "公安"),
]
EVERYDAY = [
    (["自来水", "供水", "供排水", "水务集团", "水务公司", "水务有限", "水业"],
     ["自来水公司", "自来水厂", "自来水集团", "水务公司", "水务集团", "供水公司",
      "供水集团", "水业公司", "水司"], ["自来水", "供水"]),
    (["燃气", "煤气", "天然气"], ["燃气公司", "燃气集团", "煤气公司", "天然气公司"],
     ["燃气", "煤气", "天然气"]),
    (["供电", "电力", "电业局", "电网", "国网"],
     ["供电公司", "供电局", "供电所", "电力公司", "电力局", "电业局", "国家电网",
      "电网公司", "国网"], ["供电"]),
    (["热力", "供热", "供暖"], ["热力公司", "供热公司", "供暖公司", "暖气公司", "热力集团"],
     ["热力", "供热", "供暖"]),
    (["人社", "人力资源和社会保障", "人力资源社会保障"],
     ["人社局", "社保局", "劳动局", "人社部门"], []),
    (["医保", "医疗保障"], ["医保局", "医保中心", "医疗保障局", "医保部门"], ["医保"]),
    (["公积金"], ["公积金中心", "公积金管理中心"], ["公积金"]),
    (["住建", "住房和城乡建设", "住房城乡建设"], ["住建局", "住建委", "建委", "建设局"], []),
    (["城管", "城市管理"], ["城管局", "城管委", "城管执法局", "城管部门"], ["城管"]),
    (["市场监管", "市场监督管理"], ["市场监管局", "市场监督管理局", "市监局", "工商局"], []),
    (["生态环境", "环境保护"], ["环保局", "生态环境局", "环境局"], ["环保"]),
    (["交通运输"], ["交通局", "交通运输局"], []),
    (["税务"], ["税务局", "地税局", "国税局"], []),
    (["教育局", "教育委员会", "教委"], ["教育局", "教委"], []),
    (["卫健", "卫生健康", "卫生和计划生育"], ["卫健委", "卫健局", "卫生局"], []),
    (["交警", "交通警察"], ["交警支队", "交警大队", "交警队", "交警部门"], ["交警"]),
    (["信访"], ["信访局", "信访办", "信访部门"], ["信访"]),
    (["民政"], ["民政局"], []),
    (["自然资源"], ["自然资源局", "国土局", "国土资源局"], []),
    (["不动产登记"], ["不动产登记中心", "不动产中心", "不动产登记处"], []),
    (["纪检", "纪委", "监察委"], ["纪委", "纪检委", "纪委监委", "纪检监察"], []),
    (["法律援助", "公共法律服务"],
     ["法律援助热线", "法律援助中心", "法律服务热线", "公共法律服务热线", "法援热线"],
     ["法律援助", "法援"]),
    (["市长热线", "政务服务便民热线"],
     ["市长热线", "政务服务热线", "便民服务热线", "政务热线", "便民热线"], []),
    (["火警"], ["火警电话", "消防救援", "消防队"], ["火警", "消防"]),
    (["急救"], ["急救中心", "急救电话", "急救站"], ["急救"]),
]
GENERIC_TAILS = {"服务热线", "服务电话", "举报电话", "举报热线", "投诉电话", "投诉热线", "客服电话",
                 "客服热线", "热线电话", "人民政府", "管理中心", "服务中心", "管理局", "委员会", "办公室"}
STRONG_SHORT = {"水司", "国网", "建委", "纪委", "教委"}
UNIT_CONTEXT = ["电话", "号码", "热线", "客服", "服务热线", "服务电话", "抢修", "报修",
                "那边", "这边", "部门", "值班", "联系方式"]
ALIAS_SPLIT = re.compile("[、;；|，,/／]")


def digits(s):
    return "".join(c for c in s if "0" <= c <= "9")


def add_alias(out, alias, weak):
    out[alias] = out.get(alias, weak) and weak


def aliases_of_one(name):
    """{alias: weak} of one form of a name."""
    c = clean(name)
    forms = [c]
    for prefix in ["市", "省", "区", "县"]:
        if c.startswith(prefix):
            forms.append(c[len(prefix):])
    for k in range(1, len(c)):
        if len(c) - k >= 4:
            forms.append(c[k:])
    if len(c) >= 5 and c[2] in "市县":
        rest = c[3:]
        forms.append(rest[1:] if rest.startswith("市") else rest)
        forms.append(rest)
    forms = [f for f in forms if f not in GENERIC_TAILS]
    stripped = []
    for form in forms:
        for suffix in ["热线", "电话", "中心", "公司", "集团"]:
            if form.endswith(suffix):
                stripped.append(form[:-len(suffix)])
    out = {}
    for f, weak in [(f, False) for f in forms] + [(f, True) for f in stripped]:
        if len(f) >= 2 and not f.isdigit():
            add_alias(out, f, weak or (len(f) <= 2 and f not in STRONG_SHORT))
    return out


def aliases_of(name):
    variants = [name]
    for long, short in ABBREVIATIONS:
        variants.extend([v.replace(long, short) for v in variants if long in v])
    out = {}
    for v in variants:
        for a, weak in aliases_of_one(v).items():
            add_alias(out, a, weak)
    c = clean(name)
    for markers, names, weak_names in EVERYDAY:
        if any(m in c for m in markers):
            for n in names:
                add_alias(out, n, len(n) <= 2 and n not in STRONG_SHORT)
            for n in weak_names:
                add_alias(out, n, True)
    return out


def weak_alias_named(after):
    rest = after[1:] if after.startswith("的") else after
    return (rest[:1].isdigit() and rest[:1] < "\x80") or rest[:1] in CHINESE_DIGITS \
        or any(rest.startswith(w) for w in UNIT_CONTEXT)


def same_number(a, b):
    if a == b:
        return True
    long, short = (a, b) if len(a) > len(b) else (b, a)
    return (len(short) >= 7 and long.startswith("0") and long.endswith(short)
            and 3 <= len(long) - len(short) <= 4)


class Directory:
    def __init__(self, path):
        self.entries = []  # (name, phone digits)
        names = []  # (name, aliases of the file)
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = csv.reader(f)
            header = [h.strip() for h in next(rows)]
            name_col = next(i for i, h in enumerate(header)
                            if h in ("name", "名称", "单位", "单位名称"))
            phone_col = next(i for i, h in enumerate(header)
                             if h in ("phone", "电话", "号码", "联系电话"))
            alias_col = next((i for i, h in enumerate(header)
                              if h in ("aliases", "alias", "别名", "简称", "俗称")), None)
            for row in rows:
                name = row[name_col].strip() if name_col < len(row) else ""
                phone = row[phone_col].strip() if phone_col < len(row) else ""
                al = row[alias_col].strip() if alias_col is not None and alias_col < len(row) else ""
                if name or phone or al:
                    self.entries.append((name, digits(phone)))
                    names.append((name, [a.strip() for a in ALIAS_SPLIT.split(al) if a.strip()]))
        table = {}  # alias -> [owners, weak]
        for i, (name, file_aliases) in enumerate(names):
            own = aliases_of(name)
            for a in file_aliases:
                add_alias(own, clean(a), False)
                for d, weak in aliases_of_one(a).items():
                    add_alias(own, d, weak)
            for a, weak in own.items():
                slot = table.setdefault(a, [[], True])
                slot[0].append(i)
                slot[1] = slot[1] and weak
        self.alias_table = table
        # Leftmost-longest: Python's leftmost-first alternation, longest first.
        keys = sorted(table, key=lambda a: (-len(a), a))
        self.alias_re = re.compile("|".join(re.escape(a) for a in keys)) if keys else None

    def owners_of(self, phone):
        return [i for i, (_, p) in enumerate(self.entries) if same_number(p, phone)]

    def contains_number(self, phone):
        return any(same_number(p, phone) for _, p in self.entries)

    def named_units(self, clean_text):
        """Entry indexes in the order named (src: Directory::named_units)."""
        out = []
        if self.alias_re is None:
            return out
        for m in self.alias_re.finditer(clean_text):
            owners, weak = self.alias_table[m.group()]
            if weak and not weak_alias_named(clean_text[m.end():]):
                continue
            for o in owners:
                if o not in out:
                    out.append(o)
        return out

    def names_a_unit(self, clean_text):
        return self.alias_re is not None and self.alias_re.search(clean_text) is not None


# ---------------------------------------------------------------- DP tables
def align(pattern, text, free_start):
    """Edit distance of pattern against text[:k] (free_start: against any
    substring ending at k), minimal over k; returns (distance, largest k)."""
    prev = [0] * (len(text) + 1) if free_start else list(range(len(text) + 1))
    for i, p in enumerate(pattern):
        cur = [i + 1]
        for j, t in enumerate(text):
            cur.append(min(prev[j] + (p != t), prev[j + 1] + 1, cur[j] + 1))
        prev = cur
    best, best_k = None, 0
    for k, d in enumerate(prev):
        if best is None or d <= best:
            best, best_k = d, k
    return best, best_k


def lcs_len(a, b):
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


GREETING_STD = phrase_chars(clean(GREETING_TEXT))
GREETING_STD_STR = "".join(GREETING_STD)
GREETING_PART_FORMS = [
    (p.split("|")[0], [f for f in (phrase_chars(clean(x)) for x in p.split("|")) if f])
    for p in GREETING_PARTS]
GREETING_MAX_DISTANCE = math.floor(len(GREETING_STD) * GREETING_MAX_RATIO)
FILLERS = set("嗯呃额啊")
CLOSINGS = [(phrase_chars(clean(t)), math.floor(len(phrase_chars(clean(t))) * CLOSING_MAX_RATIO))
            for t in CLOSING_TEXTS]
CLOSING_STRS = ["".join(c) for c, _ in CLOSINGS]

# ---------------------------------------------------------------- accuracy
NOT_PHONE_AFTER = [
    "年", "月", "日", "点", "时", "分", "秒", "元", "块", "万", "千", "百", "岁", "米", "公里",
    "平", "个", "次", "天", "楼", "层", "室", "栋", "幢", "单元", "路", "街", "%", "％", "人",
    "户", "位", "周", "小时", "期", "斤", "公斤", "吨", "度", "辆", "份", "件", "条", "张", "项",
    "家", "届", "台", "毫", "克", "升",
]
SHORT_CUES = ["拨打", "打", "电话", "热线", "号码", "致电"]
CHINESE_DIGITS = {}
for _d, _cs in enumerate(["零〇洞", "一幺壹", "二贰", "三叁", "四肆", "五伍", "六陆",
                          "七柒", "八捌", "九玖"]):
    for _c in _cs:
        CHINESE_DIGITS[_c] = str(_d)


def digit_of(c):
    if "0" <= c <= "9":
        return c
    if "０" <= c <= "９":
        return chr(ord(c) - ord("０") + ord("0"))
    return None


MAY_HOLD_NUMBER = re.compile("[0-9０-９]|[%s]{3}" % "".join(CHINESE_DIGITS))


def digit_runs(text):
    """Numbers in text: (digits, start, end) for runs of ASCII/full-width
    digits (with - and grouped spaces inside) and of 3+ Chinese numerals."""
    if not MAY_HOLD_NUMBER.search(text):
        return []
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if digit_of(c) is not None:
            ds, j, end, group = [], i, i, 0
            while j < n:
                c = text[j]
                next_is_digit = j + 1 < n and digit_of(text[j + 1]) is not None
                d = digit_of(c)
                if d is not None:
                    ds.append(d)
                    group += 1
                    end = j + 1
                    j += 1
                elif c in "-－—" and next_is_digit:
                    group = 0
                    j += 1
                elif c == " " and next_is_digit and group in (1, 3, 4):
                    group = 0
                    j += 1
                else:
                    break
            out.append(("".join(ds), i, end))
            i = max(j, i + 1)
        elif c in CHINESE_DIGITS:
            ds, j = [], i
            while j < n and text[j] in CHINESE_DIGITS:
                ds.append(CHINESE_DIGITS[text[j]])
                j += 1
            if len(ds) >= 3:
                out.append(("".join(ds), i, j))
            i = max(j, i + 1)
        else:
            i += 1
    if not any(len(ds) > 12 and " " in text[s:e] for ds, s, e in out):
        return out
    split = []
    for ds, s, e in out:
        if len(ds) > 12 and " " in text[s:e]:
            pos = s
            for part in text[s:e].split(" "):
                d = digits(part)
                if d:
                    split.append((d, pos, pos + len(part)))
                pos += len(part) + 1
        else:
            split.append((ds, s, e))
    return split


class PrivateNumbers:
    """Numbers that are the caller's own (said by the caller, on the ticket)."""

    def __init__(self):
        self.numbers = set()

    def add(self, d):
        self.numbers.add(d)
        for code in (3, 4):
            if d.startswith("0") and len(d) >= code + 7:
                self.numbers.add(d[code:])

    def __contains__(self, d):
        if d in self.numbers:
            return True
        return any(d.startswith("0") and len(d) >= code + 7 and d[code:] in self.numbers
                   for code in (3, 4))


def phone_numbers(text, lex, directory, private):
    """The numbers the agent gives the caller to call: (digits, start, end)."""
    out = []
    for ds, start, end in digit_runs(text):
        if len(ds) < 3 or len(ds) > 12:
            continue
        before = text[max(0, start - CUE_WINDOW):start]
        after = text[end:end + CUE_WINDOW]
        after_trim = after.lstrip()
        if any(after_trim.startswith(u) for u in NOT_PHONE_AFTER):
            continue
        if (after_trim.startswith("号") and not after_trim.startswith("号码")
                and not after_trim.startswith("号线")):
            continue
        if lex["not_phone"].find_in(text[max(0, start - 10):start]):
            continue
        if ds in private:
            continue
        after4 = clean(text[end:end + 4])
        if after4.startswith("热线") or after4.startswith("市长热线"):
            near = text[max(0, start - 6):start]
            if not any(c in near for c in SHORT_CUES) and "联系" not in near and "咨询" not in near:
                continue
        unit_near = directory.names_a_unit(clean(before)) or directory.names_a_unit(clean(after))
        cue = unit_near or lex["phone_cues"].find_in(before) or lex["phone_cues"].find_in(after)
        if not cue:
            continue
        if len(ds) <= 4 and not directory.contains_number(ds):
            near = text[max(0, start - 4):start]
            if not any(c in near for c in SHORT_CUES):
                continue
        out.append((ds, start, end))
    return out


# ---------------------------------------------------------------- the norms
NOT_ASSESSED = None


def greeting_end(u):
    """Where the greeting ends in an opening utterance (questions count
    after it): index in the original text, or None if it is not one."""
    if u["clean"].startswith(GREETING_STD_STR):
        d, k = 0, len(GREETING_STD)
    else:
        d, k = align(GREETING_STD, list(u["clean"]), False)
    if d > len(GREETING_STD) // 2:
        return None
    text = u["text"]
    end = u["where"][k - 1] + 1 if k > 0 else 0
    for i in range(end, len(text)):
        if text[i].isalnum():
            return i
    return len(text)


SPLIT_GAP_S = 1.5


def is_greeting_piece(clean_text):
    chars = phrase_chars(clean_text)
    start = 0
    while start < len(chars) and chars[start] in FILLERS:
        start += 1
    chars = chars[start:]
    return not chars or align(chars, GREETING_STD, True)[0] <= len(chars) // 4


def check_greeting(call, lex):
    utts, agent = call["utterances"], call["agent"]
    if not agent:
        return [("greeting.no_agent_speech", None)]
    first = agent[0]
    # The first agent utterance, joined by the next agent utterances while
    # what was said so far is a piece of the greeting (an ASR cut), nobody
    # else spoke and the pause is at most SPLIT_GAP_S (src/norms/greeting.rs).
    turn, last = utts[first]["clean"], first
    while last + 1 < len(utts):
        u = utts[last + 1]
        if (u["speaker"] != "agent" or u["start"] - utts[last]["end"] > SPLIT_GAP_S
                or len(turn) > len(GREETING_STD) * 3 or not is_greeting_piece(turn)):
            break
        last += 1
        turn += u["clean"]
    chars = phrase_chars(turn)
    if GREETING_STD_STR in "".join(chars):
        return []
    start = 0
    while start < len(chars) and chars[start] in FILLERS:
        start += 1
    chars = chars[start:]
    distance = len(GREETING_STD) - lcs_len(GREETING_STD, chars)
    missing = []
    for name, forms in GREETING_PART_FORMS:
        present = False
        for f in forms:
            allowed = PART_MAX_EDITS if len(f) >= 4 else 0
            if align(f, chars, True)[0] <= allowed:
                present = True
                break
        if not present:
            missing.append(name)
    if missing:
        return [("greeting.missing_part", first)]
    if distance > GREETING_MAX_DISTANCE:
        return [("greeting.not_standard", first)]
    return []


def is_closing(c):
    if not ("再见" in c or "在见" in c) or not ("感谢" in c or "谢谢" in c):
        return False
    if any(s in c for s in CLOSING_STRS):
        return True
    chars = phrase_chars(c)
    return any(align(pattern, chars, True)[0] <= allowed for pattern, allowed in CLOSINGS)


def check_closing(call, lex):
    utts, agent = call["utterances"], call["agent"]
    if not agent:
        return NOT_ASSESSED
    last = agent[::-1][:CLOSING_LAST]
    if any(is_closing(utts[i]["clean"]) for i in last):
        return []
    if call["ended_by"] == "caller" and utts[-1]["speaker"] == "caller":
        return NOT_ASSESSED
    return [("closing.missing", last[0])]


def find(lex, name, u):
    return lex[name].find(u["text"], u["clean"], u["where"])


def check_courtesy(call, lex):
    utts, agent = call["utterances"], call["agent"]
    if not agent:
        return NOT_ASSESSED
    findings, ni = [], []
    for i in agent:
        for _ in find(lex, "slang", utts[i]):
            findings.append(("courtesy.slang", i))
        for _ in find(lex, "address_ni", utts[i]):
            ni.append(("courtesy.ni", i))
    if len(ni) >= NI_LIMIT:
        findings.extend(ni)
    findings.sort(key=lambda f: f[1])
    return findings


def check_pace(call, lex):
    utts = call["utterances"]
    chars, seconds = 0, 0.0
    worst, worst_off = None, None
    for i in call["agent"]:
        u = utts[i]
        n = len(u["clean"])
        if n < PACE_MIN_CHARS:
            continue
        d = u["end"] - u["start"]
        chars += n
        seconds += d
        if d > 0.0:
            rate = n / d * 60.0
            off = rate - MAX_CPM if rate > MAX_CPM else MIN_CPM - rate
            if worst is None or off > worst_off:
                worst, worst_off = i, off
    if chars == 0 or seconds <= 0.0:
        return NOT_ASSESSED
    rate = chars / seconds * 60.0
    if rate > MAX_CPM:
        return [("pace.too_fast", worst)]
    if rate < MIN_CPM:
        return [("pace.too_slow", worst)]
    return []


def check_clarity(call, lex):
    utts, agent = call["utterances"], call["agent"]
    if not agent:
        return NOT_ASSESSED
    findings = []
    total, n, lowest, low = 0.0, 0, None, None
    for i in agent:
        c = utts[i]["confidence"]
        if c is None:
            continue
        total += c
        n += 1
        if lowest is None or c < low:
            lowest, low = i, c
    if n and total / n < MIN_CONFIDENCE:
        findings.append(("clarity.low_confidence", lowest))
    asks = [("clarity.repeat_requests", i) for i, u in enumerate(utts)
            if u["speaker"] == "caller" and find(lex, "repeat_requests", u)]
    if len(asks) >= REPEAT_LIMIT:
        findings.extend(asks)
    return findings


CLAUSE_BREAKS = set("，,。！？!?；;\n")
COMMAS = set("，,")
ATTRIBUTION_CUES = ["电话", "号码", "联系方式"]
POINTING_CLAUSE_CHARS, CLAUSES_BACK = 12, 3
WHOSE = ["这是", "这个是", "是", "就是", "那是"]


CLAUSE_MAX_CHARS = 80


def clause_start(text, at):
    """Start of the clause holding position at (after the last break before
    it, at most CLAUSE_MAX_CHARS back)."""
    i, lo = at, max(0, at - CLAUSE_MAX_CHARS)
    while i > lo and text[i - 1] not in CLAUSE_BREAKS:
        i -= 1
    return i


def clause_end(text, at):
    i, hi = at, min(len(text), at + CLAUSE_MAX_CHARS)
    while i < hi and text[i] not in CLAUSE_BREAKS:
        i += 1
    return i


def units_given_with(directory, text, start, end):
    """src/norms/accuracy.rs units_given_with: the number's clause, else the
    earlier clauses it points back to, else the next clause saying whose."""
    cs, ce = clause_start(text, start), clause_end(text, end)
    named = directory.named_units(clean(text[cs:ce]))
    if named:
        return named

    def points_back(s):
        c = clean(s)
        return c == "" or (len(c) <= POINTING_CLAUSE_CHARS and any(w in c for w in ATTRIBUTION_CUES))

    here, at = text[cs:start], cs
    for _ in range(CLAUSES_BACK):
        if not points_back(here):
            break
        if at == 0 or text[at - 1] not in COMMAS:
            break
        prev_end = at - 1
        prev_start = clause_start(text, prev_end)
        named = directory.named_units(clean(text[prev_start:prev_end]))
        if named:
            return named
        here, at = text[prev_start:prev_end], prev_start
    rest = clean(text[end:ce])
    if ce < len(text) and text[ce] in COMMAS:
        ns = ce + 1
        nxt = clean(text[ns:clause_end(text, ns)])
        if rest == "" and any(nxt.startswith(w) for w in WHOSE):
            return directory.named_units(nxt)
    return []


def check_accuracy(call, lex, directory):
    utts = call["utterances"]
    private = PrivateNumbers()
    ticket = call.get("ticket")
    if ticket is not None:
        d = digits(ticket["caller_phone"])
        if len(d) >= 5:
            private.add(d)
    given = False
    findings = []
    for i, u in enumerate(utts):
        text = u["text"]
        if u["speaker"] == "caller":
            for d, _, _ in digit_runs(text):
                if len(d) >= 5 and not directory.contains_number(d):
                    private.add(d)
            continue
        if u["speaker"] != "agent":
            continue
        for ds, start, end in phone_numbers(text, lex, directory, private):
            given = True
            owners = directory.owners_of(ds)
            if not owners:
                findings.append(("accuracy.unknown_number", i))
                continue
            named = units_given_with(directory, text, start, end)
            if named and not any(n in owners for n in named):
                findings.append(("accuracy.wrong_unit_number", i))
    return findings if given else NOT_ASSESSED


def check_process(call, lex, directory):
    t = call.get("ticket")
    if t is None:
        return NOT_ASSESSED
    utts, agent = call["utterances"], call["agent"]
    findings = []
    if t["category"] == "求助":
        legal_sub = LEGAL_SUB in t["subcategory"]
        caller_at = None
        for i, u in enumerate(utts):
            if u["speaker"] == "caller" and find(lex, "legal_matters", u):
                caller_at = i
                break
        if legal_sub or caller_at is not None:
            at = None if legal_sub else caller_at
            if t["handling"] == "工单转办":
                findings.append(("process.legal_dispatched", at))
            if not any(find(lex, "legal_channels", utts[i]) for i in agent):
                findings.append(("process.legal_no_guidance", at))
    if t["category"] == "投诉举报" and DISCIPLINE_SUB in t["subcategory"]:
        if t["handling"] == "工单转办":
            findings.append(("process.discipline_dispatched", None))
        channels = [p for name, p in directory.entries
                    if any(k in name for k in ("信访", "纪检", "纪委", "监委"))]
        channels += DISCIPLINE_NUMBERS
        gave = any(same_number(c, d)
                   for i in agent for d, _, _ in digit_runs(utts[i]["text"])
                   for c in channels)
        if not gave:
            findings.append(("process.discipline_no_channel", None))
    if t["category"] == "表扬":
        want = "直接办理" if PRAISE_HOTLINE_SUB in t["subcategory"] else "工单转办"
        if t["handling"] != want:
            findings.append(("process.praise_handling", None))
    if t["urgency"] in ("一般应急", "重大应急") and t["handling"] != "电话交办":
        findings.append(("process.emergency_handling", None))
    return findings


def question_start(call, i, in_opening):
    """Where questions start to count in utterance i (None: not at all)."""
    if not in_opening:
        return 0
    u = call["utterances"][i]
    chars = phrase_chars(u["clean"])
    if chars and align(chars, GREETING_STD, True)[0] <= len(chars) // 4:
        return None
    end = greeting_end(u)
    return 0 if end is None else end


def check_communication(call, lex):
    utts, agent = call["utterances"], call["agent"]
    if not agent:
        return NOT_ASSESSED
    findings, cuts = [], []
    p, longest = 0, None
    for a in agent:
        s = utts[a]["start"]
        while p < len(utts) and utts[p]["start"] < s:
            if utts[p]["speaker"] == "caller" and (
                    longest is None or utts[p]["end"] > utts[longest]["end"]):
                longest = p
            p += 1
        if longest is not None and s <= utts[longest]["end"] - INTERRUPT_OVERLAP + 1e-9:
            cuts.append(("communication.interruptions", a))
    if len(cuts) >= INTERRUPT_LIMIT:
        findings.extend(cuts)
    callers = sum(1 for u in utts if u["speaker"] == "caller")
    if callers >= MIN_CALLER_UTTS:
        opening, asked = True, False
        for i in range(agent[0], len(utts)):
            if utts[i]["speaker"] != "agent":
                opening = False
                continue
            start = question_start(call, i, opening)
            if start is None:
                continue
            if any(h[0] >= start for h in find(lex, "questions", utts[i])):
                asked = True
                break
        if not asked:
            findings.append(("communication.no_question", None))
    return findings


def check_attitude(call, lex):
    utts, agent = call["utterances"], call["agent"]
    if not agent:
        return [("attitude.no_agent_speech", None)]
    findings = []
    first = agent[0]
    if utts[first]["start"] > FIRST_RESPONSE_S + 1e-9:
        findings.append(("attitude.late_first_response", first))
    last_agent = None
    for i in range(len(utts) - 1):
        c, a = utts[i], utts[i + 1]
        if c["speaker"] == "agent":
            last_agent = i
        if c["speaker"] != "caller" or a["speaker"] != "agent":
            continue
        if a["start"] - c["end"] <= MAX_GAP_S + 1e-9:
            continue
        if last_agent is not None and find(lex, "wait_requests", utts[last_agent]):
            continue
        findings.append(("attitude.slow_response", i + 1))
    return findings


def check_ticket(call, lex):
    t = call.get("ticket")
    if t is None:
        return NOT_ASSESSED
    out = []
    if t["category"] not in ("建议", "一般诉求", "求助", "投诉举报", "咨询", "表扬"):
        out.append(("ticket.invalid_category", None))
    if t["handling"] not in ("直接办理", "电话交办", "工单转办"):
        out.append(("ticket.invalid_handling", None))
    content = len(clean(t["content"]))
    if t["handling"] in ("工单转办", "电话交办"):
        for field in ("caller_name", "caller_phone", "event_time", "event_location"):
            if not t[field].strip():
                out.append(("ticket.missing_field", None))
        if content < MIN_CONTENT_DISPATCHED:
            out.append(("ticket.content_too_short", None))
    elif content < MIN_CONTENT_DIRECT:
        out.append(("ticket.content_too_short", None))
    if STAFF_SUB in t["subcategory"]:
        for field in ("complained_staff_name", "complained_staff_no"):
            if not t[field].strip():
                out.append(("ticket.missing_staff", None))
    return out


def check_taboo(call, lex):
    utts, agent = call["utterances"], call["agent"]
    if not agent:
        return NOT_ASSESSED
    findings = []
    for i in agent:
        for name, rule in (("forbidden", "taboo.forbidden_phrase"),
                           ("blame", "taboo.blame"), ("insults", "taboo.insult")):
            for _ in find(lex, name, utts[i]):
                findings.append((rule, i))
    return findings


def uncertain(utts, i):
    u = utts[i]
    if u["confidence"] is not None and u["confidence"] < REVIEW_LOW_CONFIDENCE:
        return True
    return any(o["speaker"] != u["speaker"]
               and min(u["end"], o["end"]) - max(u["start"], o["start"]) > REVIEW_OVERLAP_S
               for o in utts)


def round2(x):
    return math.floor(x * 100.0 + 0.5) / 100.0


def score_call(call, lex, directory):
    """Returns (score, passed, red_line, earned per norm, findings)."""
    outcomes = {
        "greeting": check_greeting(call, lex),
        "closing": check_closing(call, lex),
        "courtesy": check_courtesy(call, lex),
        "pace": check_pace(call, lex),
        "clarity": check_clarity(call, lex),
        "accuracy": check_accuracy(call, lex, directory),
        "process": check_process(call, lex, directory),
        "communication": check_communication(call, lex),
        "attitude": check_attitude(call, lex),
        "ticket": check_ticket(call, lex),
        "taboo": check_taboo(call, lex),
    }
    utts = call["utterances"]
    earned, findings = {}, []
    possible = got = 0.0
    red_line = False
    for norm in NORMS:
        found = outcomes[norm]
        if found is NOT_ASSESSED:
            earned[norm] = None
            continue
        left = POINTS[norm]
        for rule, i in found:
            review = rule in WORD_RULES and i is not None and uncertain(utts, i)
            cost = 0.0 if review else left
            left -= cost
            severity = "red_line" if rule == "taboo.insult" else "deduct"
            if rule == "taboo.insult" and not review:
                red_line = True
            findings.append((norm, rule, severity, cost, i, review))
        earned[norm] = left
        possible += POINTS[norm]
        got += left
    score = got / possible * 100.0 if possible > 0 else 100.0
    if red_line:
        score = 0.0
    score = round2(score)
    return score, score >= PASS_MARK, red_line, earned, findings


# ---------------------------------------------------------------- input
class Reject(Exception):
    def __init__(self, reason, record_id=""):
        super().__init__(reason)
        self.record_id = record_id


def ident(raw, key):
    """An id written as a string or an integer."""
    v = raw.get(key)
    if isinstance(v, bool) or not isinstance(v, (str, int)):
        return ""
    return str(v).strip()


def text_field(raw, key):
    v = raw.get(key)
    if v is None:
        return ""
    if not isinstance(v, str):
        raise Reject("%s is not a string" % key)
    return v.strip()


def parse_call(line):
    try:
        raw = json.loads(line.rstrip("\r\n"))
    except ValueError as e:
        raise Reject("invalid JSON: %s" % e)
    if not isinstance(raw, dict):
        raise Reject("not a JSON object")
    call_id = ident(raw, "call_id")
    if not call_id:
        raise Reject("missing call_id")
    try:
        return parse_fields(raw, call_id)
    except Reject as e:
        e.record_id = call_id
        raise


def parse_fields(raw, call_id):
    operator_id = ident(raw, "operator_id")
    if not operator_id:
        raise Reject("missing operator_id")
    started_at = raw.get("started_at") or ""
    if not isinstance(started_at, str) or not started_at.strip():
        raise Reject("missing started_at")
    try:
        datetime.fromisoformat(started_at.strip())
    except ValueError:
        raise Reject("bad started_at")
    ended_by = raw.get("ended_by")
    if isinstance(ended_by, str) and ended_by.strip():
        ended_by = SPEAKERS.get(ended_by.strip().lower())
        if ended_by is None:
            raise Reject("unknown ended_by")
    else:
        ended_by = None
    raw_utts = raw.get("utterances")
    if not isinstance(raw_utts, list):
        raise Reject("missing utterances")
    if not raw_utts:
        raise Reject("empty call")
    utts = []
    for ru in raw_utts:
        if not isinstance(ru, dict):
            raise Reject("utterance is not an object")
        sp = ru.get("speaker")
        speaker = SPEAKERS.get(sp.strip().lower()) if isinstance(sp, str) else None
        if speaker is None:
            raise Reject("unknown speaker")
        start, end, text = ru.get("start"), ru.get("end"), ru.get("text")
        if not isinstance(start, (int, float)) or not isinstance(end, (int, float)) \
                or isinstance(start, bool) or isinstance(end, bool):
            raise Reject("missing start/end")
        if not math.isfinite(start) or not math.isfinite(end) or start < 0 or end < start:
            raise Reject("bad times")
        if not isinstance(text, str):
            raise Reject("missing text")
        conf = ru.get("confidence")
        if conf is not None and (not isinstance(conf, (int, float)) or not 0.0 <= conf <= 1.0):
            raise Reject("confidence out of range")
        c, where = clean_with_map(text)
        utts.append({"speaker": speaker, "start": float(start), "end": float(end),
                     "text": text, "confidence": conf, "clean": c, "where": where})
    if any(utts[k + 1]["start"] < utts[k]["start"] for k in range(len(utts) - 1)):
        utts.sort(key=lambda u: u["start"])  # stable, as in Rust
    return {
        "call_id": call_id, "operator_id": operator_id,
        "operator_name": text_field(raw, "operator_name"),
        "team": text_field(raw, "team"),
        "started_at": started_at.strip(), "ended_by": ended_by,
        "utterances": utts,
        "agent": [i for i, u in enumerate(utts) if u["speaker"] == "agent"],
    }


TICKET_COLUMNS = {
    "ticket_id": "工单编号", "call_id": "通话编号", "operator_id": "受理话务员",
    "accepted_at": "受理时间", "category": "诉求类别", "subcategory": "诉求子类",
    "handling": "办理方式", "urgency": "紧急程度", "caller_name": "来电人姓名",
    "caller_phone": "联系电话", "event_time": "事件时间", "event_location": "事件地点",
    "content": "诉求内容", "complained_staff_name": "被投诉人姓名",
    "complained_staff_no": "被投诉人工号",
}


def load_tickets(path):
    """The first ticket of each call_id (UTF-8 CSV, English or Chinese headers)."""
    by_call, seen = {}, set()
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = csv.reader(f)
        header = [h.strip() for h in next(rows)]
        col = {}
        for en, zh in TICKET_COLUMNS.items():
            for k, h in enumerate(header):
                if h in (en, zh):
                    col[en] = k
                    break
        for row in rows:
            if len(row) != len(header):
                continue
            t = {en: (row[col[en]].strip() if en in col else "") for en in TICKET_COLUMNS}
            if not t["ticket_id"] or not t["operator_id"] or not t["accepted_at"]:
                continue
            if t["ticket_id"] in seen:
                continue
            seen.add(t["ticket_id"])
            if t["call_id"] and t["call_id"] not in by_call:
                by_call[t["call_id"]] = t
    return by_call


# ---------------------------------------------------------------- output
def fmt(x):
    if x is None:
        return ""
    s = repr(float(x))
    return s[:-2] if s.endswith(".0") else s


def run(args):
    lex = load_lexicons()
    directory = Directory(args.directory or LEXICON_DIR / "directory.csv")
    tickets = load_tickets(args.tickets) if args.tickets else {}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    seen = set()
    n_calls = n_rejects = 0
    with open(args.calls, encoding="utf-8-sig") as src, \
            open(out / "calls.csv", "w", encoding="utf-8-sig", newline="") as fc, \
            open(out / "findings.csv", "w", encoding="utf-8-sig", newline="") as ff, \
            open(out / "rejects.csv", "w", encoding="utf-8-sig", newline="") as fr:
        calls_w, find_w, rej_w = csv.writer(fc), csv.writer(ff), csv.writer(fr)
        calls_w.writerow(["call_id", "operator_id", "operator_name", "team", "started_at",
                          "score", "passed", "red_line"] + NORMS)
        find_w.writerow(["call_id", "operator_id", "norm", "rule", "severity", "points",
                         "at_s", "utterance_index", "speaker", "needs_review"])
        rej_w.writerow(["file", "line", "record_id", "reason"])
        for line_no, line in enumerate(src, 1):
            if not line.strip():
                rej_w.writerow([args.calls, line_no, "", "empty line"])
                n_rejects += 1
                continue
            try:
                call = parse_call(line)
            except Reject as e:
                rej_w.writerow([args.calls, line_no, e.record_id, str(e)])
                n_rejects += 1
                continue
            if call["call_id"] in seen:
                rej_w.writerow([args.calls, line_no, call["call_id"], "duplicate call_id"])
                n_rejects += 1
                continue
            seen.add(call["call_id"])
            call["ticket"] = tickets.get(call["call_id"])
            score, passed, red_line, earned, findings = score_call(call, lex, directory)
            calls_w.writerow([call["call_id"], call["operator_id"], call["operator_name"],
                              call["team"], call["started_at"], fmt(score),
                              "true" if passed else "false", "true" if red_line else "false"]
                             + [fmt(earned[n]) for n in NORMS])
            utts = call["utterances"]
            for norm, rule, severity, cost, i, review in findings:
                find_w.writerow([call["call_id"], call["operator_id"], norm, rule, severity,
                                 fmt(cost), "" if i is None else fmt(utts[i]["start"]),
                                 "" if i is None else i,
                                 "" if i is None else utts[i]["speaker"],
                                 "true" if review else "false"])
            n_calls += 1
    print("%d calls scored, %d rejected -> %s" % (n_calls, n_rejects, out), file=sys.stderr)


def compare(ours_dir, rust_dir):
    def read(path):
        with open(path, encoding="utf-8-sig", newline="") as f:
            return {r["call_id"]: r for r in csv.DictReader(f)}

    def num(v):
        return None if v is None or v == "" else round(float(v), 2)

    ours, rust = read(Path(ours_dir) / "calls.csv"), read(Path(rust_dir) / "calls.csv")
    common = [c for c in rust if c in ours]
    n = len(common)
    print("calls: rust %d, baseline %d, in both %d" % (len(rust), len(ours), n))
    if not n:
        return

    def line(label, same):
        print("  %-14s %7d / %d  (%.2f %%)" % (label, same, n, 100.0 * same / n))

    line("score", sum(num(ours[c]["score"]) == num(rust[c]["score"]) for c in common))
    line("passed", sum(ours[c]["passed"] == rust[c]["passed"] for c in common))
    line("red_line", sum(ours[c]["red_line"] == rust[c]["red_line"] for c in common))
    # The Rust run may have used a centre's own scorecard ([[items]], issue
    # #18): its calls.csv has that scorecard's item columns. The baseline
    # knows the default eleven only, so only the norms both have are compared.
    first = rust[common[0]]
    norms = [nm for nm in NORMS if nm in first]
    if len(norms) < len(NORMS):
        print("the Rust run's scorecard has its own items; comparing only %s"
              " (the baseline scores the default scorecard)" % ", ".join(norms))
    print("per norm (same points, or both not assessed):")
    for norm in norms:
        line(norm, sum(num(ours[c][norm]) == num(rust[c][norm]) for c in common))
    # Findings, both sides: the same (call, rule, utterance, points, needs
    # review) rows, then the count per rule (where they differ).
    counts, rows = {}, {}
    for side, d in (("ours", ours_dir), ("rust", rust_dir)):
        p = Path(d) / "findings.csv"
        rows[side] = {}
        if not p.exists():
            continue
        with open(p, encoding="utf-8-sig", newline="") as f:
            for r in csv.DictReader(f):
                counts.setdefault(r["rule"], {"ours": 0, "rust": 0})[side] += 1
                key = (r["call_id"], r["rule"], r["utterance_index"],
                       num(r["points"]), r["needs_review"])
                rows[side][key] = rows[side].get(key, 0) + 1
    if counts:
        same = sum(min(k, rows["rust"].get(key, 0)) for key, k in rows["ours"].items())
        print("findings: %d identical (call, rule, utterance_index, points, needs_review);"
              " baseline %d, rust %d" % (same, sum(rows["ours"].values()),
                                         sum(rows["rust"].values())))
        print("findings per rule (baseline / rust):")
        for rule in sorted(counts):
            c = counts[rule]
            mark = "" if c["ours"] == c["rust"] else "   <- differs"
            print("  %-32s %7d / %-7d%s" % (rule, c["ours"], c["rust"], mark))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("calls", nargs="?", help="calls .jsonl (omit to only --compare)")
    ap.add_argument("--directory", help="name,phone CSV (default: lexicons/directory.csv)")
    ap.add_argument("--tickets", help="tickets CSV (optional; UTF-8)")
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--compare", metavar="RUST_OUT_DIR",
                    help="compare DIR/calls.csv with hotline-qa's calls.csv there")
    args = ap.parse_args()
    if args.calls:
        run(args)
    elif not args.compare:
        ap.error("give CALLS.jsonl, --compare RUST_OUT_DIR, or both")
    if args.compare:
        compare(args.out, args.compare)


if __name__ == "__main__":
    main()

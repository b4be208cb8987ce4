#!/usr/bin/env python3
"""Groups a perf profile's self time by area, for BENCHMARKS.md.

    cargo build --profile profiling
    perf record -F 499 -o perf.data target/profiling/hotline-qa score d/calls.jsonl \
        --directory d/directory.csv --out o --quiet --no-reports
    perf report -i perf.data --no-children --sort comm,dso,symbol --stdio -g none \
        | python3 benches/perf_areas.py

Each sample line is put in the first area whose test matches (thread name,
then symbol); what matches none is "the rest".
"""
import collections
import re
import sys

RULES = [
    ("reading lines (reader thread)", lambda c, s: c == "hq-reader"),
    ("writing (writer thread and polars' encoding pool)",
     lambda c, s: c == "hq-writer" or c.startswith("polars")),
    ("JSON parsing and the UTF-8 check",
     lambda c, s: re.search(r"serde|simdutf8|from_utf8|parse_line|Speaker::parse|transcripts", s)),
    ("Aho-Corasick scans of the lexicons (and their token strings)",
     lambda c, s: re.search(r"aho_corasick|Lexicons::scan|Tokens::encode", s)),
    ("lexicon hits: exclusions, regular expressions, gates",
     lambda c, s: re.search(r"Lexicon::|regex|CallView::find|is_contained_in|memchr", s)),
    ("clean texts", lambda c, s: re.search(r"clean_into|CleanTexts|is_counted", s)),
    ("memory allocation and page faults",
     lambda c, s: re.search(r"\bmi_|_mi_|malloc|free|realloc|clear_page|page_fault|memset", s)),
    ("CSV rows (scoring threads)", lambda c, s: re.search(r"csv_out|num_to|RowEncoder", s)),
    ("edit distances (greeting, closing)",
     lambda c, s: re.search(r"text::align|lcs_len|phrase_chars|greeting|closing", s)),
    ("numbers (accuracy)", lambda c, s: re.search(r"digit_runs|phone_numbers|accuracy", s)),
]


def main() -> None:
    areas = collections.Counter()
    total = 0.0
    for line in sys.stdin:
        m = re.match(r"\s*([0-9.]+)%\s+(\S+)\s+(\S+)\s+\[.\]\s+(.*)", line)
        if not m:
            continue
        share, comm, sym = float(m.group(1)), m.group(2), m.group(4)
        total += share
        for name, test in RULES:
            if test(comm, sym):
                areas[name] += share
                break
        else:
            areas["the rest (norms, copies, kernel)"] += share
    for name, share in areas.most_common():
        print(f"{share:5.1f} %  {name}")
    print(f"{total:5.1f} %  total")


if __name__ == "__main__":
    main()

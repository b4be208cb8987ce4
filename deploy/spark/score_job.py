#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""Score call transcripts with hotline-qa on Spark.

The scorer is the `hotline-qa` binary itself: every Spark task pipes its
lines through `hotline-qa score --stdin` (RDD.pipe), so the Spark results are
the scorer's results, byte for byte, with no Python re-implementation of any
rule. The job then writes the same Parquet files as `hotline-qa score`, so
`hotline-qa report`, DuckDB or Spark SQL can read them.

Usage (on a cluster: spark-submit; for a try on one machine: python3, which
starts Spark in local[2] when no --master is given):

    export LC_ALL=C.UTF-8        # the driver JVM: Chinese file names
    spark-submit --master yarn --deploy-mode client \\
        --driver-java-options "-Dfile.encoding=UTF-8" \\
        --conf spark.executor.extraJavaOptions=-Dfile.encoding=UTF-8 \\
        --conf spark.executor.memoryOverhead=2g \\
        deploy/spark/score_job.py \\
        --input 'hdfs:///hotline/transcripts/2026-11-27/*.jsonl.gz' \\
        --binary /opt/hotline-qa/bin/hotline-qa \\
        --tickets /opt/hotline-qa/data/tickets-2026-11-27.csv \\
        --directory /opt/hotline-qa/data/directory.csv \\
        --as-of 2026-11-28T00:00:00+08:00 \\
        --out hdfs:///hotline/qa/2026-11-27

    python3 deploy/spark/score_job.py --input day/calls.jsonl \\
        --binary "$PWD/target/release/hotline-qa" --tickets day/tickets.csv \\
        --directory day/directory.csv --as-of 2026-11-28T00:00:00+08:00 --out out-spark

Arguments:
  --input PATH      transcripts, JSON Lines (.jsonl, .jsonl.gz, .bz2): any path,
                    glob or comma-separated list that SparkContext.textFile reads;
                    may be given several times. Input order is kept.
  --binary PATH     absolute path of the hotline-qa executable. It must exist at
                    that path on the driver and (without --ship) on every
                    executor; checked on the driver before anything starts.
  --out DIR         the output folder (must not exist or be empty; --overwrite).
  --tickets PATH    ticket files (CSV/XLSX) or folders; may repeat. Every task
                    reads them to link tickets to calls (norms 7 and 10), so they
                    must be readable on every executor (shared path, or --ship);
                    the driver computes ticket timeliness from them once.
  --config FILE     scorecard (TOML), as `hotline-qa score --config`.
  --directory FILE  phone directory (CSV name,phone), as `score --directory`.
  --calendar FILE   holiday overrides, for the ticket timeliness run.
  --as-of TIME      as-of time of the ticket timeliness (default: now).
  --partitions N    at least N tasks: splittable inputs are split into N parts;
                    inputs with fewer parts (one .gz file) are repartitioned by
                    line number, keeping the input order.
  --show-pii        as `score --show-pii` (unmasked numbers and names).
  --ship            distribute the binary and the --tickets/--config/--directory
                    files to the executors (SparkContext.addFile, as
                    spark-submit --files does; files already given to --files
                    are not added again) instead of expecting them at the same
                    path on every node. Tasks run ./hotline-qa in the executor's
                    working directory, where Spark puts such files (executable).
  --master URL      Spark master when started with python3 (default local[2]);
                    under spark-submit, spark-submit's --master applies.
  --overwrite       replace an existing non-empty --out.
  --conf KEY=VALUE  a Spark setting (python3 start; with spark-submit use its --conf).

Outputs in --out (the same columns and types as `hotline-qa score`'s Parquet,
see src/report/parquet.rs; Hive-style folders partitioned by `day`, a copy of
`date`, and `date` itself is kept inside the files):
  calls.parquet/day=YYYY-MM-DD/*.parquet     one row per scored call
  findings.parquet/day=YYYY-MM-DD/*.parquet  one row per finding
  rejects/*.json        every unusable line: file, line, record_id, reason
                        (as rejects.csv; duplicates of a call_id: first kept)
  tickets.parquet       copied from `hotline-qa score TICKETS` run on the driver
  tickets_run/          that run's output (tickets.csv, units.csv, rejects.csv ...)
  operators.csv         per operator, aggregated in Spark SQL; byte-identical to
                        the operators.csv of `hotline-qa report OUT` (ranked by
                        the reviewed mean score, then reviewed pass rate, then id)
  teams.csv             per team, then the total (合计); as teams.csv of the report
  units.csv             per unit, the total, per category (as units.csv)
  _job.json             counts, partitions and timings of the run

`hotline-qa report OUT --out REPORT` reads OUT like a folder written by
`hotline-qa score`.

Checks: every input line gives exactly one output line (per partition, in
order: the scorer's own line numbers are compared with the positions); a
scorer that exits non-zero fails the task (checkCode=True) and the job; in
both cases nothing is written and the exit code is 1. read = scored +
rejected is printed at the end.

Pitfalls this job handles (see the README section on Spark):
  * PySpark's pipe starts the scorer with exactly the `env` it is given: no
    PATH, no LANG. The job passes PATH, LANG/LC_ALL=C.UTF-8 and
    RAYON_NUM_THREADS (= spark.task.cpus: Spark already runs one task per
    core), and requires an absolute binary path.
  * Without checkCode=True a scorer that dies half way looks like a shorter
    partition; with it the task fails. The 1:1 check catches the rest.
  * JVMs under LANG=C default to ASCII; the job asks for -Dfile.encoding=UTF-8
    on the executors (and the driver when it starts the JVM itself). File
    names follow the process locale only (sun.jnu.encoding): the job sets
    spark.executorEnv.LC_ALL=C.UTF-8, and LC_ALL for a driver JVM it starts;
    under spark-submit, export LC_ALL=C.UTF-8 first (the job warns). The
    text itself is explicit UTF-8 everywhere (Hadoop Text, PySpark pipe, JSON).
  * The scorer and the Python worker live outside the executor's JVM heap:
    on YARN/Kubernetes give them spark.executor.memoryOverhead (the scorer
    holds all --tickets in memory: about 1 KB a ticket, in every task).

Exit codes: 0 done; 1 the job failed (scorer failure on a task, 1:1 check,
Spark error); 2 usage: bad arguments, binary not absolute or not executable,
or the scorer refused the scorecard/directory/tickets in the pre-flight run.
"""

import argparse
import itertools
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

# The default scorecard's items; a scorecard's [[items]] replace them
# (set_items, before Spark starts).
BUILTIN_NORMS = [
    "greeting",
    "closing",
    "courtesy",
    "pace",
    "clarity",
    "accuracy",
    "process",
    "communication",
    "attitude",
    "ticket",
    "taboo",
]
NORMS = list(BUILTIN_NORMS)

# calls.parquet's columns after `findings` (src/report/parquet.rs, call_row):
# the review state; without reviews (score --stdin) reviewed_* are the
# machine's and the appeals 0, but needs_review and confidence are real.
APPEAL_COLUMNS = ["appeals_pending", "appeals_upheld", "appeals_overturned"]
CALL_REVIEW_COLUMNS = [
    "reviewed_score",
    "reviewed_passed",
    "reviewed_red_line",
    "needs_review",
    *APPEAL_COLUMNS,
    "confidence",
]
# calls.parquet's last columns (parquet.rs, call_row): the number the call
# came from, masked, and its keyed hash that links repeat calls (issue #19).
CALL_NUMBER_COLUMNS = ["caller_number", "caller_link"]
# The columns operators.csv, teams.csv and units.csv end with (csv_out.rs,
# FCR_COLUMNS): first-call resolution.
FCR_COLUMNS = ["first_calls", "repeated", "first_call_resolution"]
# The columns operators.csv and teams.csv end with (csv_out.rs, REVIEW_STAT_COLUMNS).
REVIEW_STAT_COLUMNS = [
    "reviewed_mean_score",
    "reviewed_pass_rate",
    "needs_review",
    "appeals",
    *APPEAL_COLUMNS,
]

# The order of units.csv's category rows (model.rs, Category::ALL).
CATEGORIES = ["建议", "一般诉求", "求助", "投诉举报", "咨询", "表扬"]
UNSPECIFIED = "（未指定）"
TOTAL = "合计"
DUPLICATE = "通话编号 %s 重复，保留第一条（duplicate call_id）"

HERE = os.path.dirname(os.path.abspath(__file__))
UTF8_JAVA = "-Dfile.encoding=UTF-8 -Dsun.stdout.encoding=UTF-8 -Dsun.stderr.encoding=UTF-8"
# File names: a JVM takes their encoding (sun.jnu.encoding) from the process
# locale only; under LANG=C it cannot open /data/热线/... whatever -D says.
UTF8_LOCALE = "C.UTF-8"


class JobError(Exception):
    """A failure with a message for the operator and an exit code."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


def say(msg):
    print("score_job: " + msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Arguments and pre-flight (before Spark starts)
# ---------------------------------------------------------------------------


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="score_job.py",
        description="Score hotline transcripts with hotline-qa on Spark (see the top of this file).",
    )
    p.add_argument("--input", action="append", required=True, metavar="PATH")
    p.add_argument("--binary", required=True, metavar="PATH")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--tickets", action="append", default=[], metavar="PATH")
    p.add_argument("--config", metavar="FILE")
    p.add_argument("--directory", metavar="FILE")
    p.add_argument("--calendar", metavar="FILE")
    p.add_argument("--as-of", dest="as_of", metavar="TIME")
    p.add_argument("--partitions", type=int, metavar="N")
    p.add_argument("--show-pii", dest="show_pii", action="store_true")
    p.add_argument("--ship", action="store_true")
    p.add_argument("--master", metavar="URL")
    p.add_argument("--overwrite", action="store_true")
    p.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE")
    a = p.parse_args(argv)
    # Tasks do not run in the driver's working directory: make local paths absolute.
    absolute = lambda f: f if not f or "://" in f or f.startswith("file:") else os.path.abspath(f)  # noqa: E731
    a.tickets = [absolute(t) for t in a.tickets]
    a.config, a.directory, a.calendar = absolute(a.config), absolute(a.directory), absolute(a.calendar)
    for c in a.conf:
        if "=" not in c:
            raise JobError("--conf %r: use KEY=VALUE" % c, 2)
    if a.partitions is not None and a.partitions < 1:
        raise JobError("--partitions must be at least 1", 2)
    return a


def check_binary(path):
    if not os.path.isabs(path):
        raise JobError(
            "--binary %r is not an absolute path. Spark starts the scorer with an empty "
            "environment (no PATH) from a working directory of its own: give the full path, "
            "e.g. --binary \"$PWD/target/release/hotline-qa\"." % path,
            2,
        )
    if not os.path.isfile(path):
        raise JobError("--binary %s: no such file" % path, 2)
    if not os.access(path, os.X_OK):
        raise JobError("--binary %s: not executable (chmod +x)" % path, 2)


def child_env(threads):
    """The whole environment of every scorer process (PySpark passes nothing else)."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "RAYON_NUM_THREADS": str(threads),
    }


def scorer_args(tickets, config, directory, show_pii):
    args = []
    for t in tickets:
        args += ["--tickets", t]
    if config:
        args += ["--config", config]
    if directory:
        args += ["--directory", directory]
    if show_pii:
        args.append("--show-pii")
    return args


def text(b):
    return b.decode("utf-8", errors="replace").strip()


def preflight(binary, args):
    """Runs the scorer once on the driver with no input: a bad scorecard,
    directory or ticket file fails here with the scorer's own message instead
    of as an exit code in every Spark task."""
    cmd = [binary, "score", "--stdin", "--quiet"] + scorer_args(
        args.tickets, args.config, args.directory, args.show_pii
    )
    try:
        r = subprocess.run(
            cmd, stdin=subprocess.DEVNULL, capture_output=True, env=child_env(1), timeout=600
        )
    except OSError as e:
        raise JobError("cannot run %s: %s" % (binary, e), 2)
    if r.returncode != 0:
        raise JobError(
            "the scorer refused the run before Spark started (exit code %d):\n  %s\n  %s"
            % (r.returncode, shlex.join(cmd), text(r.stderr) or text(r.stdout)),
            2,
        )
    if r.stdout.strip():
        raise JobError(
            "%s wrote output for empty input; is it hotline-qa with `score --stdin`?" % binary, 2
        )


def config_int(config, table, key, default):
    """An integer setting of the scorecard (the scorer has checked the file)."""
    if not config:
        return default
    try:
        import tomllib

        with open(config, "rb") as f:
            return int(tomllib.load(f).get(table, {}).get(key, default))
    except ImportError:
        section = None
        with open(config, encoding="utf-8") as f:
            for line in f:
                s = line.split("#", 1)[0].strip()
                if s.startswith("["):
                    section = s.strip("[] ")
                m = re.match(key + r"\s*=\s*(\d+)", s)
                if m and section == table:
                    return int(m.group(1))
        return default


def scorecard_items(config):
    """The scorecard's item keys in column order: its [[items]] (a centre's
    own 评分表, issue #18), or the eleven built-in norms when it lists none.
    The scorer has checked the file (preflight), so the keys are good."""
    if not config:
        return list(BUILTIN_NORMS)
    try:
        import tomllib

        with open(config, "rb") as f:
            items = tomllib.load(f).get("items", [])
        keys = [str(it["key"]).strip() for it in items if isinstance(it, dict) and "key" in it]
    except ImportError:
        keys, in_item = [], False
        with open(config, encoding="utf-8") as f:
            for line in f:
                s = line.split("#", 1)[0].strip()
                if s.startswith("["):
                    in_item = s == "[[items]]"
                m = re.match(r'key\s*=\s*"([^"]*)"', s)
                if m and in_item:
                    keys.append(m.group(1).strip())
    return keys or list(BUILTIN_NORMS)


def set_items(keys):
    """Makes every per-item column (the JSON schema, calls.parquet,
    operators.csv/teams.csv fail rates) follow the scorecard's items."""
    NORMS[:] = keys
    FAIL_RATE_COLUMNS[:] = ["fail_rate_" + n for n in NORMS]
    SCORE_STAT_COLUMNS[:] = SCORE_STAT_BASE + FAIL_RATE_COLUMNS
    for c in list(OPERATOR_FORMATS):
        if c.startswith("fail_rate_"):
            del OPERATOR_FORMATS[c]
    for c in FAIL_RATE_COLUMNS:
        OPERATOR_FORMATS[c] = fmt_rate


def min_calls_for_rank(config):
    return config_int(config, "reports", "min_calls_for_rank", 10)


def repeat_window_days(config):
    return config_int(config, "repeats", "window_days", 30)


# ---------------------------------------------------------------------------
# Spark
# ---------------------------------------------------------------------------


def start_spark(args):
    from pyspark import SparkConf, SparkContext
    from pyspark.sql import SparkSession

    under_submit = "PYSPARK_GATEWAY_PORT" in os.environ
    # (Wide schemas: no "Truncated the string representation of a plan" warning.)
    b = SparkSession.builder.appName("hotline-qa score").config("spark.sql.debug.maxToStringFields", "500")
    log4j = os.path.join(HERE, "log4j2.properties")
    if under_submit:
        # The driver JVM is already running; only the executors can still be
        # told. Read spark-submit's settings (they live in that JVM) and add to them.
        SparkContext._ensure_initialized()
        existing = SparkConf().get("spark.executor.extraJavaOptions", "")
        if "-Dfile.encoding" not in existing:
            b = b.config("spark.executor.extraJavaOptions", (existing + " " + UTF8_JAVA).strip())
        if args.master:
            b = b.master(args.master)
    else:
        import locale

        if "utf" not in (locale.nl_langinfo(locale.CODESET) or "").lower().replace("-", ""):
            os.environ["LC_ALL"] = UTF8_LOCALE  # for the driver JVM started below
        b = b.master(args.master or "local[2]")
        driver = UTF8_JAVA
        if os.path.exists(log4j):
            driver += " -Dlog4j2.configurationFile=file:" + log4j
        b = (
            b.config("spark.driver.extraJavaOptions", driver)
            .config("spark.executor.extraJavaOptions", UTF8_JAVA)
            .config("spark.ui.showConsoleProgress", "false")
            # Few, small shuffles (duplicates, aggregates): 200 partitions is overhead here.
            .config("spark.sql.shuffle.partitions", "8")
        )
        # Python workers: the same interpreter as the driver.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # Executors (and the Python workers and scorers they start) get a UTF-8
    # locale unless the user chose one.
    user = dict(c.split("=", 1) for c in args.conf)
    if under_submit:
        user.update(dict(SparkConf().getAll()))
    if not any(k in user for k in ("spark.executorEnv.LC_ALL", "spark.executorEnv.LANG")):
        b = b.config("spark.executorEnv.LC_ALL", UTF8_LOCALE)
    for c in args.conf:
        k, v = c.split("=", 1)
        b = b.config(k, v)
    spark = b.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    enc = spark._jvm.java.nio.charset.Charset.defaultCharset().name()
    if enc.upper() not in ("UTF-8", "UTF8"):
        say(
            "warning: the driver JVM's default charset is %s; pass "
            "--driver-java-options -Dfile.encoding=UTF-8 to spark-submit" % enc
        )
    jnu = spark._jvm.java.lang.System.getProperty("sun.jnu.encoding") or ""
    if "utf" not in jnu.lower().replace("-", ""):
        say(
            "warning: the driver JVM runs in a %s locale: paths with Chinese characters "
            "cannot be opened; export LC_ALL=%s before spark-submit" % (jnu, UTF8_LOCALE)
        )
    return spark


def hadoop_path(spark, path):
    jvm = spark._jvm
    p = jvm.org.apache.hadoop.fs.Path(path)
    return p.getFileSystem(spark._jsc.hadoopConfiguration()), p


def check_out(spark, out, overwrite):
    fs, p = hadoop_path(spark, out)
    if fs.exists(p):
        if not fs.getFileStatus(p).isDirectory():
            raise JobError("--out %s exists and is not a folder" % out, 2)
        if len(fs.listStatus(p)) > 0:
            if not overwrite:
                raise JobError("--out %s is not empty (use --overwrite to replace it)" % out, 2)
            fs.delete(p, True)


def local_name(uri):
    return uri[len("file:"):] if uri.startswith("file:") else uri


def split_files(rdd):
    """(file, start byte) of each partition of a textFile RDD, or None."""
    try:
        out = []
        for part in rdd._jrdd.rdd().partitions():
            s = part.inputSplit().value()
            out.append((local_name(str(s.getPath().toString())), int(s.getStart())))
        return out
    except Exception:  # not a plain Hadoop text input: no file names in rejects
        return None


def jvm_lines(spark, rdd):
    """The lines of a JVM-backed RDD[str] as a DataFrame (column `value`),
    partition for partition, without passing them through Python."""
    from pyspark.sql import DataFrame

    enc = spark._jvm.org.apache.spark.sql.Encoders.STRING()
    jds = spark._jsparkSession.createDataset(rdd._jrdd.rdd(), enc)
    return DataFrame(jds.toDF(), spark)


def jvm_rdd(spark, df):
    """A one-string-column DataFrame as a PySpark RDD[str], same partitions."""
    from pyspark.rdd import RDD
    from pyspark.serializers import UTF8Deserializer

    enc = spark._jvm.org.apache.spark.sql.Encoders.STRING()
    jrdd = getattr(df._jdf, "as")(enc).javaRDD()
    return RDD(jrdd, spark.sparkContext, UTF8Deserializer())


def output_schema():
    from pyspark.sql.types import (
        ArrayType,
        BooleanType,
        DoubleType,
        IntegerType,
        LongType,
        StringType,
        StructField,
        StructType,
    )

    s = lambda n: StructField(n, StringType())  # noqa: E731
    finding = StructType(
        [
            s("norm"),
            s("rule"),
            s("severity"),
            StructField("points", DoubleType()),
            StructField("at_s", DoubleType()),
            StructField("utterance_index", LongType()),
            s("speaker"),
            s("excerpt"),
            StructField("needs_review", BooleanType()),
            s("verdict"),
            s("appeal"),
            StructField("reviewed_points", DoubleType()),
            s("reviewer"),
            s("review_comment"),
        ]
    )
    record = StructType(
        [
            s("status"),
            StructField("line", LongType()),
            s("call_id"),
            s("operator_id"),
            s("operator_name"),
            s("team"),
            s("date"),
            s("started_at"),
            StructField("score", DoubleType()),
            StructField("passed", BooleanType()),
            StructField("red_line", BooleanType()),
            s("grade"),
            StructField("points", StructType([StructField(n, DoubleType()) for n in NORMS])),
            StructField("fail", StructType([StructField(n, BooleanType()) for n in NORMS])),
            StructField("findings", ArrayType(finding)),
            StructField("reviewed_score", DoubleType()),
            StructField("reviewed_passed", BooleanType()),
            StructField("reviewed_red_line", BooleanType()),
            StructField("needs_review", LongType()),
            *[StructField(c, LongType()) for c in APPEAL_COLUMNS],
            StructField("confidence", DoubleType()),
            s("caller_number"),
            s("caller_link"),
            s("reason"),
        ]
    )
    # Each scorer line is wrapped as {"p": partition, "k": position, "r": line}.
    return StructType(
        [
            StructField("p", IntegerType()),
            StructField("k", LongType()),
            StructField("r", record),
            StructField("_corrupt", StringType()),
        ]
    )


def tag_lines(index, lines):
    for k, line in enumerate(lines):
        yield '{"p":%d,"k":%d,"r":%s}' % (index, k, line)


def pipe_error(e):
    """The operator's message for a failed Spark action, or None."""
    m = re.search(r"Pipe function `(.*?)` exited with error code (-?\d+)", str(e))
    if m:
        return (
            "the scorer exited with code %s in a Spark task, so the job stopped and wrote "
            "no results.\n  command: %s\n  Its own message is in that executor's stderr "
            "(local mode: above; YARN: yarn logs -applicationId ...)." % (m.group(2), m.group(1))
        )
    for pat in (r"FileNotFoundError: \[Errno 2\] No such file or directory: '([^']*)'",
                r"PermissionError: \[Errno 13\] Permission denied: '([^']*)'"):
        m = re.search(pat, str(e))
        if m:
            return (
                "a Spark task could not start the scorer %s (%s). Install it at the same "
                "path on every node, or use --ship." % (m.group(1), m.group(0).split(":")[0])
            )
    return None


# ---------------------------------------------------------------------------
# The job
# ---------------------------------------------------------------------------


def run(args):
    t_start = time.time()
    check_binary(args.binary)
    for f in [args.config, args.directory, args.calendar] + args.tickets:
        if f and "://" not in f and not os.path.exists(f):
            raise JobError("%s: no such file or folder" % f, 2)
    preflight(args.binary, args)
    set_items(scorecard_items(args.config))

    spark = start_spark(args)
    try:
        return job(spark, args, t_start)
    finally:
        spark.stop()


def job(spark, args, t_start):
    from pyspark import SparkFiles, StorageLevel
    from pyspark.sql import functions as F

    sc = spark.sparkContext
    out = args.out.rstrip("/")
    check_out(spark, out, args.overwrite)
    timings = {}
    local = sc.master == "local" or sc.master.startswith("local[")  # not local-cluster
    threads = int(sc.getConf().get("spark.task.cpus", "1"))

    # -- Where the tasks find the binary and the files ----------------------
    binary, tickets, config, directory = args.binary, args.tickets, args.config, args.directory
    if args.ship:
        # Files spark-submit already distributes (--files) are not added twice.
        submitted = set()
        for key in ("spark.files", "spark.yarn.dist.files"):
            for uri in filter(None, sc.getConf().get(key, "").split(",")):
                submitted.add(uri.split("#", 1)[-1].rstrip("/").rsplit("/", 1)[-1])
        names = set()
        for f in [binary, config, directory] + list(tickets):
            if f:
                n = os.path.basename(f.rstrip("/"))
                if n in names:
                    raise JobError("--ship: two files are named %s" % n, 2)
                names.add(n)
                if n not in submitted:
                    sc.addFile(f, recursive=os.path.isdir(f))
        # Executors fetch added files into their working directory, where the
        # scorer is started; in local mode the driver's SparkFiles folder is it.
        where = (lambda n: SparkFiles.get(n)) if local else (lambda n: "./" + n)
        ship = lambda f: where(os.path.basename(f.rstrip("/"))) if f else f  # noqa: E731
        binary, config, directory = ship(binary), ship(config), ship(directory)
        tickets = [ship(t) for t in tickets]
    cmd = shlex.join(
        [binary, "score", "--stdin", "--quiet"]
        + scorer_args(tickets, config, directory, args.show_pii)
    )
    env = child_env(threads)

    # -- Input, counted per partition in the JVM ----------------------------
    t = time.time()
    raw = sc.textFile(",".join(args.input), minPartitions=args.partitions)
    splits = split_files(raw)
    lines = jvm_lines(spark, raw)
    counts0 = {
        r["p"]: r["count"]
        for r in lines.groupBy(F.spark_partition_id().alias("p")).count().collect()
    }
    n0 = raw.getNumPartitions()
    counts0 = [counts0.get(i, 0) for i in range(n0)]
    offsets0 = [0] + list(itertools.accumulate(counts0))[:-1] if n0 else []
    n_in = sum(counts0)
    # The first line number of each split within its file.
    split_rows = []
    if splits is not None and len(splits) == n0:
        seen = {}
        for i, (f, _start) in enumerate(splits):
            split_rows.append((i, offsets0[i], counts0[i], f, seen.get(f, 0)))
            seen[f] = seen.get(f, 0) + counts0[i]
    timings["count_input_s"] = round(time.time() - t, 3)

    # -- More tasks than input splits: range-repartition by line number -----
    t = time.time()
    if args.partitions and n0 < args.partitions and n_in > 0:
        offs = spark.createDataFrame(list(enumerate(offsets0)), "p0 int, o long")
        g = (
            lines.select(
                "value",
                F.spark_partition_id().alias("p0"),
                F.monotonically_increasing_id().alias("mid"),
            )
            .join(F.broadcast(offs), "p0")
            .select(
                "value",
                (F.col("o") + F.col("mid") - F.shiftleft(F.col("p0").cast("long"), 33)).alias("g"),
            )
        )
        rep = (
            g.repartitionByRange(args.partitions, "g")
            .sortWithinPartitions("g")
            .persist(StorageLevel.MEMORY_AND_DISK)
        )
        st = rep.groupBy(F.spark_partition_id().alias("p")).agg(
            F.count(F.lit(1)).alias("n"), F.min("g").alias("g0")
        ).collect()
        parts = rep.rdd.getNumPartitions()
        by = {r["p"]: (r["n"], r["g0"]) for r in st}
        counts = [by.get(i, (0, 0))[0] for i in range(parts)]
        starts = [by.get(i, (0, 0))[1] for i in range(parts)]
        src = jvm_rdd(spark, rep.select("value"))
    else:
        rep = None
        counts, starts, src = counts0, offsets0, raw
    parts = len(counts)
    timings["repartition_s"] = round(time.time() - t, 3)

    # -- Score: pipe every partition through the binary ---------------------
    t = time.time()
    piped = src.pipe(cmd, env=env, checkCode=True)
    tagged = piped.mapPartitionsWithIndex(tag_lines, preservesPartitioning=True)
    parsed = (
        spark.read.schema(output_schema())
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", "_corrupt")
        .json(tagged)
    )
    base = parsed.select("p", "k", "_corrupt", "r.*").persist(StorageLevel.MEMORY_AND_DISK)
    scored = base
    valid = F.col("status").isin("scored", "rejected") & F.col("line").isNotNull()
    stats = (
        scored.groupBy("p")
        .agg(
            F.count(F.lit(1)).alias("n"),
            F.sum(F.when(valid, 0).otherwise(1)).alias("bad"),
            F.sum(F.when(valid & (F.col("line") != F.col("k") + 1), 1).otherwise(0)).alias("moved"),
            F.sum(F.when(F.col("status") == "scored", 1).otherwise(0)).alias("scored"),
        )
        .collect()
    )
    timings["score_s"] = round(time.time() - t, 3)
    if rep is not None:
        rep.unpersist()

    # -- The 1:1 check ------------------------------------------------------
    problems = []
    out_counts = {}
    n_scored = 0
    for r in stats:
        if r["p"] is None:
            problems.append("%d output lines are not JSON objects" % r["n"])
            continue
        out_counts[r["p"]] = r["n"]
        n_scored += r["scored"]
        if r["bad"]:
            problems.append("partition %d: %d output lines lack status/line" % (r["p"], r["bad"]))
        if r["moved"]:
            problems.append(
                "partition %d: %d output lines are out of step with the input" % (r["p"], r["moved"])
            )
    for i in range(parts):
        if out_counts.get(i, 0) != counts[i]:
            problems.append(
                "partition %d: %d lines in, %d lines out" % (i, counts[i], out_counts.get(i, 0))
            )
    n_out = sum(out_counts.values())
    if problems or n_out != n_in:
        raise JobError(
            "1:1 check failed: %d input lines, %d scorer output lines; nothing was written.\n  "
            % (n_in, n_out)
            + "\n  ".join(problems[:20])
        )

    # -- Duplicate call ids: the first in input order is kept ---------------
    t = time.time()
    ok_scored = F.col("status") == "scored"
    firsts = (
        scored.filter(ok_scored)
        .groupBy("call_id")
        .agg(F.count(F.lit(1)).alias("n"), F.min(F.struct("p", "k")).alias("first"))
        .filter("n > 1")
    )
    n_dup = 0
    if firsts.limit(1).count() > 0:
        dups = (
            scored.filter(ok_scored)
            .select("call_id", "p", "k")
            .join(firsts, "call_id")
            .filter(F.struct("p", "k") != F.col("first"))
            .select("p", "k", F.lit(True).alias("dup"))
            .persist(StorageLevel.MEMORY_AND_DISK)
        )
        n_dup = dups.count()
        scored = scored.join(F.broadcast(dups), ["p", "k"], "left")
    else:
        scored = scored.withColumn("dup", F.lit(None).cast("boolean"))
    keep = ok_scored & F.col("dup").isNull()
    timings["duplicates_s"] = round(time.time() - t, 3)

    # -- calls.parquet and findings.parquet ---------------------------------
    t = time.time()
    mode = "overwrite" if args.overwrite else "errorifexists"
    ident = ["date", "call_id", "operator_id", "operator_name", "team"]
    calls = scored.filter(keep).select(
        *ident,
        "started_at",
        "score",
        "passed",
        "red_line",
        "grade",
        *[F.col("points." + n).alias(n) for n in NORMS],
        *[F.col("fail." + n).alias("fail_" + n) for n in NORMS],
        F.size("findings").cast("long").alias("findings"),
        *CALL_REVIEW_COLUMNS,
        *CALL_NUMBER_COLUMNS,
        F.col("date").alias("day"),
        "p",
        "k",
        # Open critical findings (重大风险: not dismissed, not overturned),
        # for the `critical` column of operators.csv and teams.csv only
        # (report/risk.rs, count_into); not a column of calls.parquet.
        F.size(
            F.filter(
                "findings",
                lambda f: (f["severity"] == "critical")
                & (F.coalesce(f["verdict"], F.lit("")) != "dismissed")
                & (F.coalesce(f["appeal"], F.lit("")) != "overturned"),
            )
        )
        .cast("long")
        .alias("critical"),
    )
    (
        calls.sortWithinPartitions("day", "p", "k")
        .drop("p", "k", "critical")
        .write.mode(mode)
        .partitionBy("day")
        .parquet(out + "/calls.parquet")
    )
    findings = (
        scored.filter(keep)
        .select(*ident, "score", "p", "k", F.posexplode("findings").alias("i", "f"))
        .select(
            *ident,
            "score",
            *[F.col("f." + c).alias(c) for c in ["norm", "rule", "severity", "points", "at_s", "utterance_index"]],
            F.coalesce(F.col("f.speaker"), F.lit("")).alias("speaker"),
            F.col("f.excerpt").alias("excerpt"),
            F.col("f.needs_review").alias("needs_review"),
            *[F.coalesce(F.col("f." + c), F.lit("")).alias(c) for c in ["verdict", "appeal"]],
            F.col("f.reviewed_points").alias("reviewed_points"),
            *[F.coalesce(F.col("f." + c), F.lit("")).alias(c) for c in ["reviewer", "review_comment"]],
            F.col("date").alias("day"),
            "p",
            "k",
            "i",
        )
    )
    (
        findings.sortWithinPartitions("day", "p", "k", "i")
        .drop("p", "k", "i")
        .write.mode(mode)
        .partitionBy("day")
        .parquet(out + "/findings.parquet")
    )
    timings["write_parquet_s"] = round(time.time() - t, 3)

    # -- rejects ------------------------------------------------------------
    t = time.time()
    rej = scored.filter(~keep).select(
        "p",
        "k",
        F.coalesce(F.col("call_id"), F.lit("")).alias("record_id"),
        F.when(F.col("dup"), F.format_string(DUPLICATE, F.col("call_id")))
        .otherwise(F.col("reason"))
        .alias("reason"),
    )
    starts_df = spark.createDataFrame(list(enumerate(starts)), "p int, g0 long")
    rej = rej.join(F.broadcast(starts_df), "p").withColumn("g", F.col("g0") + F.col("k"))
    if split_rows:
        sp = spark.createDataFrame(split_rows, "s int, o long, c long, file string, base long")
        rej = rej.join(
            F.broadcast(sp), (F.col("g") >= F.col("o")) & (F.col("g") < F.col("o") + F.col("c")), "left"
        ).select(
            "g",
            "file",
            (F.col("base") + F.col("g") - F.col("o") + 1).alias("line"),
            "record_id",
            "reason",
        )
    else:
        rej = rej.select("g", F.lit("").alias("file"), (F.col("g") + 1).alias("line"), "record_id", "reason")
    (
        rej.coalesce(1)
        .sortWithinPartitions("g")
        .drop("g")
        .write.mode(mode)
        .json(out + "/rejects")
    )
    n_rejected = n_in - n_scored + n_dup
    timings["write_rejects_s"] = round(time.time() - t, 3)

    # -- Tickets: timeliness once, on the driver -----------------------------
    t = time.time()
    has_tickets = bool(args.tickets)
    if has_tickets:
        tickets_run(spark, args, out)
        spark.read.parquet(out + "/tickets.parquet").createOrReplaceTempView("tickets")
    timings["tickets_s"] = round(time.time() - t, 3)

    # -- Per-operator and per-unit aggregation in Spark SQL ------------------
    t = time.time()
    calls.withColumn("ord", F.shiftleft(F.col("p").cast("long"), 33) + F.col("k")).createOrReplaceTempView(
        "calls"
    )
    # First calls and their repeats (views first_calls, fcr_total), as
    # report/repeats.rs and workflow/repeats.rs link them.
    first_calls_views(spark, has_tickets, repeat_window_days(args.config))
    n_ops = write_csv(
        spark, operators_sql(has_tickets, min_calls_for_rank(args.config)), OPERATOR_FORMATS, out, "operators"
    )
    n_teams = write_csv(spark, teams_sql(), TEAM_FORMATS, out, "teams")
    n_units = write_csv(spark, units_sql(), UNIT_FORMATS, out, "units") if has_tickets else 0
    timings["aggregate_s"] = round(time.time() - t, 3)
    base.unpersist()

    timings["total_s"] = round(time.time() - t_start, 3)
    summary = {
        "input": args.input,
        "master": sc.master,
        "default_parallelism": sc.defaultParallelism,
        "input_splits": n0,
        "partitions": parts,
        "read": n_in,
        "scored": n_scored - n_dup,
        "rejected": n_rejected,
        "duplicates": n_dup,
        "operators": n_ops,
        "team_rows": n_teams,
        "unit_rows": n_units,
        "timings": timings,
    }
    fs, p = hadoop_path(spark, out + "/_job.json")
    s = fs.create(p, True)
    s.write(bytearray(json.dumps(summary, ensure_ascii=False, indent=2).encode("utf-8")))
    s.close()
    balanced = n_in == (n_scored - n_dup) + n_rejected
    say(
        "read %d lines in %d partitions; scored %d, rejected %d%s (read = scored + rejected %s); "
        "%.1f s, results in %s"
        % (
            n_in,
            parts,
            n_scored - n_dup,
            n_rejected,
            " incl. %d duplicate call ids" % n_dup if n_dup else "",
            "✓" if balanced else "✗",
            timings["total_s"],
            out,
        )
    )
    return 0


def tickets_run(spark, args, out):
    """`hotline-qa score TICKETS --out TMP` on the driver, copied to OUT."""
    tmp = tempfile.mkdtemp(prefix="hotline-qa-tickets-")
    try:
        cmd = [args.binary, "score"] + args.tickets + ["--out", tmp, "--quiet"]
        for flag, v in (
            ("--as-of", args.as_of),
            ("--config", args.config),
            ("--directory", args.directory),
            ("--calendar", args.calendar),
        ):
            if v:
                cmd += [flag, v]
        if args.show_pii:
            cmd.append("--show-pii")
        helptext = subprocess.run(
            [args.binary, "score", "--help"], capture_output=True, env=child_env(1)
        ).stdout
        if b"--no-reports" in helptext:  # tickets.csv/.parquet and units.csv are all we need
            cmd.append("--no-reports")
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, env=child_env(2))
        with open(os.path.join(tmp, "summary.txt"), "wb") as f:
            f.write(r.stdout + r.stderr)
        if r.returncode != 0 or not os.path.exists(os.path.join(tmp, "tickets.parquet")):
            raise JobError(
                "the ticket timeliness run failed (exit code %d):\n  %s\n  %s"
                % (r.returncode, shlex.join(cmd), text(r.stderr) or text(r.stdout))
            )
        jvm = spark._jvm
        fs, dst = hadoop_path(spark, out + "/tickets_run")
        fs.copyFromLocalFile(False, True, jvm.org.apache.hadoop.fs.Path("file://" + tmp), dst)
        fs.copyFromLocalFile(
            False,
            True,
            jvm.org.apache.hadoop.fs.Path("file://" + os.path.join(tmp, "tickets.parquet")),
            jvm.org.apache.hadoop.fs.Path(out + "/tickets.parquet"),
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------
# Spark SQL: operators.csv, teams.csv and units.csv, as `hotline-qa report` writes them
# ---------------------------------------------------------------------------


def fmt_num(x):
    """report::num: two decimals (Rust `{:.2}`: the exact binary value, ties
    to even; Python's % formatting rounds the same way, Java's format_string
    does not), trailing zeros and dot dropped, -0 as 0."""
    if x is None:
        return ""
    s = ("%.2f" % x).rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def fmt_rate(x):
    return "" if x is None else "%.4f" % x


RUST_F64 = re.compile(r"^[+-]?(inf|infinity|nan|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)$", re.I)


def excel_safe(s):
    """privacy::excel_safe: a leading ' on text Excel would read as a formula."""
    if s and s[0] in "=+-@\t\r" and not RUST_F64.match(s):
        return "'" + s
    return s or ""


def fmt_int(x):
    return "" if x is None else str(int(x))


def median(scores):
    """polars' median (linear interpolation), as `hotline-qa report`."""
    n = "size(%s)" % scores
    lo = "element_at(%s, CAST(%s DIV 2 AS INT))" % (scores, n)
    hi = "element_at(%s, CAST(%s DIV 2 + 1 AS INT))" % (scores, n)
    return (
        "CASE WHEN {n} = 0 THEN NULL WHEN {n} % 2 = 1 THEN {hi} "
        "WHEN {lo} = {hi} THEN {lo} ELSE 0.5D * ({hi} - {lo}) + {lo} END"
    ).format(n=n, lo=lo, hi=hi)


def kahan_mean(scores):
    """The mean as polars computes it for `hotline-qa report` (Kahan
    summation in input order), so that a mean on a rounding tie (97.335)
    prints the same digits."""
    step = "named_struct('s', acc.s + (x - acc.c), 'c', ((acc.s + (x - acc.c)) - acc.s) - (x - acc.c))"
    return (
        "aggregate({a}, named_struct('s', 0D, 'c', 0D), (acc, x) -> {step}, "
        "acc -> CASE WHEN size({a}) > 0 THEN acc.s / size({a}) END)".format(a=scores, step=step)
    )


def call_aggs():
    """The aggregates of a group of calls that operators.csv and teams.csv
    share (aggregate.rs, score_aggs): scores in input order (`ord`) for the
    means, the review state summed."""
    fails = ",\n         ".join(
        "avg(CAST(fail_%s AS DOUBLE)) AS fail_rate_%s" % (n, n) for n in NORMS
    )
    appeals = ",\n         ".join("sum(%s) AS %s" % (c, c) for c in APPEAL_COLUMNS)
    return """count(*) AS calls,
         transform(array_sort(collect_list(struct(ord, score))), x -> x.score) AS in_order,
         transform(array_sort(collect_list(struct(ord, reviewed_score))), x -> x.reviewed_score)
           AS reviewed_in_order,
         min(score) AS min_score,
         avg(CAST(passed AS DOUBLE)) AS pass_rate,
         sum(CAST(red_line AS BIGINT)) AS red_lines,
         avg(CAST(reviewed_passed AS DOUBLE)) AS reviewed_pass_rate,
         sum(needs_review) AS needs_review,
         {appeals},
         {fails},
         sum(critical) AS critical""".format(
        appeals=appeals, fails=fails
    )


def call_stats(g):
    """The figures computed from call_aggs() of the group `g`: means (Kahan,
    as polars), median, and the appeals in total."""
    return (
        "{mean} AS mean_score, {median} AS median_score, {rmean} AS reviewed_mean_score, "
        "{g}.appeals_pending + {g}.appeals_upheld + {g}.appeals_overturned AS appeals".format(
            g=g,
            mean=kahan_mean(g + ".in_order"),
            median=median("sort_array(%s.in_order)" % g),
            rmean=kahan_mean(g + ".reviewed_in_order"),
        )
    )


FAIL_RATE_COLUMNS = ["fail_rate_" + n for n in NORMS]
# The columns of operators.csv and teams.csv after the key columns, up to
# the fail rates (csv_out.rs, write_report_csvs).
SCORE_STAT_BASE = [
    "calls",
    "mean_score",
    "median_score",
    "min_score",
    "pass_rate",
    "red_lines",
]
SCORE_STAT_COLUMNS = SCORE_STAT_BASE + FAIL_RATE_COLUMNS


def operators_sql(has_tickets, min_calls):
    cb = (
        """SELECT operator_id,
                  sum(CAST(callback_due AS BIGINT)) AS callbacks_due,
                  sum(CAST(callback_on_time AS BIGINT)) AS callbacks_on_time,
                  sum(CAST(callback_made AND callback_by_other AS BIGINT)) AS callbacks_by_other
           FROM tickets GROUP BY operator_id"""
        if has_tickets
        else "SELECT CAST(NULL AS STRING) AS operator_id, 0L AS callbacks_due, "
        "0L AS callbacks_on_time, 0L AS callbacks_by_other WHERE false"
    )
    # aggregate::rank: by reviewed mean score, reviewed pass rate, then id;
    # the unranked (too few calls) after, in the same order.
    order = "reviewed_mean_score DESC, reviewed_pass_rate DESC, operator_id"
    return """
WITH o AS (
  SELECT operator_id,
         max_by(operator_name, ord) AS operator_name,
         max_by(team, ord) AS team,
         {aggs}
  FROM calls GROUP BY operator_id
), cb AS ({cb}),
j AS (
  SELECT o.*, {stats},
         coalesce(cb.callbacks_due, 0) AS callbacks_due,
         coalesce(cb.callbacks_on_time, 0) AS callbacks_on_time,
         coalesce(cb.callbacks_by_other, 0) AS callbacks_by_other,
         calls >= {min_calls} AS ranked
  FROM o LEFT JOIN cb ON o.operator_id = cb.operator_id
)
SELECT CASE WHEN ranked THEN row_number() OVER (PARTITION BY ranked ORDER BY {order}) END AS rank,
       operator_id, operator_name, team, {stat_cols},
       callbacks_due, callbacks_on_time, callbacks_by_other,
       {review_cols}, critical, {fcr}
FROM j LEFT JOIN (SELECT operator_id AS fop, sum(first_calls) AS first_calls, sum(repeated) AS repeated
                  FROM first_calls GROUP BY operator_id) f ON j.operator_id = f.fop
ORDER BY ranked DESC, {order}
""".format(
        fcr=fcr_cols("f"),
        aggs=call_aggs(),
        cb=cb,
        stats=call_stats("o"),
        min_calls=int(min_calls),
        order=order,
        stat_cols=", ".join(SCORE_STAT_COLUMNS),
        review_cols=", ".join(REVIEW_STAT_COLUMNS),
    )


def teams_sql():
    """teams.csv: each team by name, then the whole hotline as team 合计.
    An empty run still gets its 合计 row, with zeros where the report has
    them. (The report's 合计 mean is polars' whole-column mean, summed
    pairwise rather than Kahan in order: the two agree to far more than the
    two decimals printed, unless a mean falls within an ulp of a rounding tie.)"""
    z = lambda c: "coalesce(%s, 0) AS %s" % (c, c)  # noqa: E731
    zeros = ", ".join(c if c.startswith("fail_rate_") else z(c) for c in SCORE_STAT_COLUMNS)
    return """
WITH g AS (
  SELECT 0 AS section, team, {aggs} FROM calls GROUP BY team
  UNION ALL
  SELECT 1, '{total}', {aggs} FROM calls
), s AS (
  SELECT g.*, {stats} FROM g
)
SELECT s.team, {zeros}, coalesce(reviewed_mean_score, 0) AS reviewed_mean_score,
       coalesce(reviewed_pass_rate, 0) AS reviewed_pass_rate,
       {review_sums}, coalesce(critical, 0) AS critical, {fcr}
FROM s LEFT JOIN (
  SELECT 0 AS fsection, team AS fteam, sum(first_calls) AS first_calls, sum(repeated) AS repeated
  FROM first_calls GROUP BY team
  UNION ALL
  SELECT 1, '{total}', first_calls, repeated FROM fcr_total
) f ON s.section = f.fsection AND s.team = f.fteam
ORDER BY section, s.team
""".format(
        fcr=fcr_cols("f"),
        aggs=call_aggs(),
        total=TOTAL,
        stats=call_stats("g"),
        zeros=zeros,
        review_sums=", ".join(z(c) for c in REVIEW_STAT_COLUMNS[2:]),
    )


OPERATOR_FORMATS = dict(
    [("operator_id", excel_safe), ("operator_name", excel_safe), ("team", excel_safe)]
    + [(c, fmt_num) for c in ("mean_score", "median_score", "min_score", "reviewed_mean_score")]
    + [(c, fmt_rate) for c in ["pass_rate", "reviewed_pass_rate"] + FAIL_RATE_COLUMNS]
)
OPERATOR_FORMATS["first_call_resolution"] = fmt_rate
TEAM_FORMATS = OPERATOR_FORMATS


def fcr_cols(f):
    """The FCR_COLUMNS of a row joined with first-call counts `f` (none: 0)."""
    return (
        "coalesce({f}.first_calls, 0) AS first_calls, coalesce({f}.repeated, 0) AS repeated, "
        "CASE WHEN {f}.first_calls > 0 THEN ({f}.first_calls - {f}.repeated) / CAST({f}.first_calls AS DOUBLE) "
        "END AS first_call_resolution"
    ).format(f=f)


def first_calls_views(spark, has_tickets, window_days):
    """Views `first_calls` (one row per first call whose outcome is known:
    operator_id, team, unit, category, first_calls = 1, repeated = 0/1)
    and `fcr_total` (their sums), as workflow/repeats.rs counts them.

    A contact is a ticket with an accepted_at; its number is the ticket's
    caller_link, else its call's. It repeats the latest earlier contact
    (by accepted_at, then ticket_id) of the same number within the window
    about the same matter: a shared place when both name places, else the
    same non-empty matter. A first call repeats nothing and has a call id
    and a number; it counts when a contact repeats it, or when its window is over by the
    data's last accepted_at."""
    if not has_tickets:
        spark.sql(
            "SELECT CAST(NULL AS STRING) AS operator_id, CAST(NULL AS STRING) AS team, "
            "CAST(NULL AS STRING) AS unit, CAST(NULL AS STRING) AS category, "
            "0L AS first_calls, 0L AS repeated WHERE false"
        ).createOrReplaceTempView("first_calls")
        spark.sql("SELECT 0L AS first_calls, 0L AS repeated").createOrReplaceTempView("fcr_total")
        return
    w = int(window_days)
    spark.sql(
        """
WITH c AS (
  SELECT t.ticket_id, coalesce(t.call_id, '') AS call_id, t.operator_id,
         t.accepted_at AS at_s, to_timestamp(t.accepted_at, 'yyyy-MM-dd HH:mm:ss') AS at,
         CASE WHEN coalesce(t.caller_link, '') <> '' THEN t.caller_link
              ELSE coalesce(k.caller_link, '') END AS link,
         CASE WHEN coalesce(t.places, '') = '' THEN CAST(array() AS ARRAY<STRING>) ELSE split(t.places, ';') END AS places,
         coalesce(t.matter, '') AS matter, coalesce(k.team, '') AS team,
         trim(t.unit) AS unit, t.category
  FROM tickets t LEFT JOIN (SELECT call_id, team, caller_link FROM calls) k
    ON t.call_id = k.call_id
  WHERE length(t.accepted_at) = 19
), pairs AS (
  SELECT i.ticket_id AS i_id, j.ticket_id AS j_id,
         row_number() OVER (PARTITION BY i.ticket_id ORDER BY j.at_s DESC, j.ticket_id DESC) AS rn
  FROM c i JOIN c j
    ON i.link = j.link AND i.link <> ''
   AND (j.at_s < i.at_s OR (j.at_s = i.at_s AND j.ticket_id < i.ticket_id))
   AND i.at <= j.at + INTERVAL {w} DAYS
   AND CASE WHEN size(i.places) > 0 AND size(j.places) > 0 THEN arrays_overlap(i.places, j.places)
            ELSE i.matter <> '' AND i.matter = j.matter END
), prior AS (
  SELECT i_id, j_id FROM pairs WHERE rn = 1
), heads AS (
  SELECT c.* FROM c LEFT ANTI JOIN prior ON c.ticket_id = prior.i_id
), repeated AS (
  SELECT DISTINCT j_id FROM prior
), e AS (
  SELECT max(at) AS data_end FROM c
)
SELECT h.operator_id, h.team, h.unit, h.category, 1L AS first_calls,
       CAST(r.j_id IS NOT NULL AS BIGINT) AS repeated
FROM heads h LEFT JOIN repeated r ON h.ticket_id = r.j_id CROSS JOIN e
WHERE h.call_id <> '' AND h.link <> '' AND (r.j_id IS NOT NULL OR h.at + INTERVAL {w} DAYS <= e.data_end)
""".format(w=w)
    ).createOrReplaceTempView("first_calls")
    spark.sql(
        "SELECT coalesce(sum(first_calls), 0L) AS first_calls, coalesce(sum(repeated), 0L) AS repeated "
        "FROM first_calls"
    ).createOrReplaceTempView("fcr_total")


def units_sql():
    def b(c):
        return "sum(CAST(%s AS BIGINT))" % c

    def st(s):
        return "sum(CASE WHEN status = '%s' THEN 1 ELSE 0 END)" % s

    def cr(v):
        return "sum(CASE WHEN callback_result = '%s' THEN 1 ELSE 0 END)" % v

    aggs = """count(*) AS tickets, {disp} AS dispatched,
         {on} AS on_time, {late} AS late, {open} AS open, {ov} AS open_overdue,
         avg(working_days_taken) AS mean_working_days,
         {urged} AS urged, {onu} AS overdue_not_urged, {sup} AS supervised, {nsup} AS not_supervised,
         {cbm} AS callbacks, {sat} AS satisfied, {bsat} AS basically_satisfied, {dis} AS dissatisfied,
         {cbd} AS callbacks_due, {cbo} AS callbacks_on_time""".format(
        disp=b("dispatched"),
        on=st("on_time"),
        late=st("late"),
        open=st("open"),
        ov=st("open_overdue"),
        urged=b("urged"),
        onu=b("overdue_not_urged"),
        sup=b("supervised"),
        nsup=b("not_supervised"),
        cbm=b("callback_made"),
        sat=cr("满意"),
        bsat=cr("基本满意"),
        dis=cr("不满意"),
        cbd=b("callback_due"),
        cbo=b("callback_on_time"),
    )

    def ratio(a, b):
        return "CASE WHEN ({b}) > 0 THEN ({a}) / CAST(({b}) AS DOUBLE) END".format(a=a, b=b)

    def named(c):
        return "CASE WHEN {c} = '' OR {c} IS NULL THEN '{u}' ELSE {c} END".format(c=c, u=UNSPECIFIED)

    cat_order = " ".join("WHEN '%s' THEN %d" % (c, i) for i, c in enumerate(CATEGORIES))
    return """
WITH g AS (
  SELECT 'unit' AS grp, 0 AS section, 0 AS ord, {unit} AS name, {aggs}
  FROM tickets GROUP BY {unit}
  UNION ALL
  SELECT 'unit', 1, 0, '{total}', {aggs} FROM tickets
  UNION ALL
  SELECT 'category', 2, CASE {category} {cat_order} ELSE 1000 END, {category}, {aggs}
  FROM tickets GROUP BY {category}
)
SELECT grp AS `group`, name, tickets, dispatched, on_time, late, open, open_overdue,
       {on_time_rate} AS on_time_rate, mean_working_days,
       urged, overdue_not_urged, supervised, not_supervised,
       callbacks, satisfied, basically_satisfied, dissatisfied,
       {sat_rate} AS satisfaction_rate, callbacks_due, callbacks_on_time,
       {cb_rate} AS callback_on_time_rate, {fcr}
FROM g LEFT JOIN (
  SELECT 0 AS fsection, {funit} AS fname, sum(first_calls) AS first_calls, sum(repeated) AS repeated
  FROM first_calls GROUP BY {funit}
  UNION ALL
  SELECT 1, '{total}', first_calls, repeated FROM fcr_total
  UNION ALL
  SELECT 2, {fcategory}, sum(first_calls), sum(repeated) FROM first_calls GROUP BY {fcategory}
) f ON g.section = f.fsection AND g.name = f.fname
ORDER BY section, ord, name
""".format(
        fcr=fcr_cols("f"),
        funit=named("unit"),
        fcategory=named("category"),
        unit=named("unit"),
        category=named("category"),
        aggs=aggs,
        total=TOTAL,
        cat_order=cat_order,
        on_time_rate=ratio("on_time", "on_time + late + open_overdue"),
        sat_rate=ratio("satisfied + basically_satisfied", "satisfied + basically_satisfied + dissatisfied"),
        cb_rate=ratio("callbacks_on_time", "callbacks_due"),
    )


UNIT_FORMATS = {
    "first_call_resolution": fmt_rate,
    "group": str,
    "name": excel_safe,
    "mean_working_days": fmt_num,
    "on_time_rate": fmt_rate,
    "satisfaction_rate": fmt_rate,
    "callback_on_time_rate": fmt_rate,
}


def write_csv(spark, sql, formats, out, name):
    """Runs the aggregation and writes OUT/NAME.csv on the driver (the result
    is one row per operator or unit): UTF-8 with a BOM, numbers formatted as
    `hotline-qa report` formats them, so that the files are byte-identical."""
    import csv
    import io

    df = spark.sql(sql)
    cols = df.columns
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    n = 0
    for row in df.collect():
        w.writerow([formats.get(c, fmt_int)(row[c]) for c in cols])
        n += 1
    fs, p = hadoop_path(spark, out + "/" + name + ".csv")
    s = fs.create(p, True)
    s.write(bytearray(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")))
    s.close()
    return n


def main(argv=None):
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8", errors="backslashreplace")
        except (AttributeError, ValueError):
            pass
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
        return run(args)
    except JobError as e:
        say("FAILED: " + str(e))
        return e.code
    except Exception as e:  # Spark errors: a short message, the details above
        msg = pipe_error(e)
        if msg is None:
            raise
        say("FAILED: " + msg)
        return 1


if __name__ == "__main__":
    sys.exit(main())

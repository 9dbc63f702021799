"""Paper Digest benchmark: one command, figures and ratios on stdout. Not a test.

    bin/bench                                   # 100,000 subscribers x 2,000 papers, every stage
    bin/bench --quick                           # 2,000 x 500: a smoke run in about a minute
    bin/bench --subscribers 50000 --papers 2000 --only score,e2e --e2e-scales 10000,50000

Stages (docs/PERFORMANCE.md has the method and the figures):
  embed  papers/s through digest.embedding (and papers_embed, with the DB) vs a bare
         SentenceTransformer.encode of the same texts; ONNX fp32/int8 speed and nDCG@10
         when onnxruntime is importable (pip install --target var/bench-site -r requirements-bench.txt)
  score  profiles loaded from PostgreSQL and ranked per chunk (ranking.rank_batch, as the
         daily run does), against the reference ranking.rank on the same profiles (time ratio,
         picks compared) and a naive per-subscriber loop (one profile query + one rank each)
  build  digest.build.digests_build chunk by chunk (score + Digest rows) in --build-processes
         processes, rank_batch vs the reference rank on the same readers; time and each process's
         RSS after each of its chunks (bin/bench --subscribers 1000000 --only build
         --build-sample 1000000 --build-reference-sample 0 --build-processes 2: the million)
  e2e    the real fan-out: pipeline.daily_run_start -> Celery prefork workers on Redis ->
         Digest rows -> render -> SMTP sink; wall time, peak worker memory, commits per digest
  web    gunicorn as deployed (deploy/gunicorn.conf.py: warm-up before accepting), 2 workers: the first
         preview after the start vs the second, the warm median one at a time, then wrk on the
         sign-up page (GET /) and the preview (POST /preview, form-encoded: PREVIEW_FIELDS below)

It creates (drops and re-creates) its own database, BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/pd_bench (the name must contain "bench"), and uses
BENCH_BROKER_URL (default redis://127.0.0.1:6379/12) with a queue of its own.
Every child process (workers, SMTP sink, gunicorn) is stopped on exit.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/pd_bench"
DEFAULT_BROKER = "redis://127.0.0.1:6379/12"
STAGES = ("embed", "score", "build", "e2e", "web")
CHILDREN: list[subprocess.Popen] = []


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def say(text: str = "") -> None:
    print(text, flush=True)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="bin/bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--subscribers", type=int, default=100_000)
    p.add_argument("--papers", type=int, default=2_000)
    p.add_argument("--quick", action="store_true", help="2,000 subscribers x 500 papers, short web runs")
    p.add_argument("--only", default=",".join(STAGES), help="comma-separated stages: " + ",".join(STAGES))
    p.add_argument(
        "--e2e-scales", default="", help="subscriber counts for the end-to-end run (default: --subscribers)"
    )
    p.add_argument("--workers", type=int, default=2, help="Celery worker processes (prefork concurrency)")
    p.add_argument("--threads", type=int, default=2, help="BLAS threads in the driver (score stage)")
    p.add_argument("--embed-texts", type=int, default=256, help="papers embedded in the embed stage")
    p.add_argument("--naive-sample", type=int, default=300, help="subscribers timed in the naive loop")
    p.add_argument(
        "--reference-sample",
        type=int,
        default=5000,
        help="profiles also ranked by the reference ranking.rank in the score stage, after the first chunk (same picks, time ratio)",
    )
    p.add_argument(
        "--reference-parallel",
        action="store_true",
        help="also time the whole score stage in processes with the reference ranking.rank",
    )
    p.add_argument("--build-sample", type=int, default=20_000, help="readers built in the build stage")
    p.add_argument(
        "--build-reference-sample",
        type=int,
        default=None,
        help="of those, readers built again with the reference rank (default: all of them; 0: no reference pass)",
    )
    p.add_argument(
        "--build-processes",
        type=int,
        default=1,
        help="forked processes sharing the build stage's chunks, as build tasks share them in the Celery pool",
    )
    p.add_argument("--no-onnx", action="store_true", help="skip the ONNX/int8 comparison")
    p.add_argument("--reuse-db", action="store_true", help="keep the bench database when its sizes match")
    p.add_argument("--profile", action="store_true", help="print the cProfile of one scoring chunk")
    p.add_argument("--wrk-seconds", type=int, default=15)
    p.add_argument("--wrk-connections", type=int, default=16)
    p.add_argument("--preview-samples", type=int, default=40, help="previews timed one at a time (web stage)")
    p.add_argument("--e2e-timeout", type=int, default=3600)
    args = p.parse_args()
    if args.quick:
        args.subscribers = min(args.subscribers, 2_000)
        args.papers = min(args.papers, 500)
        args.embed_texts = min(args.embed_texts, 128)
        args.naive_sample = min(args.naive_sample, 100)
        args.wrk_seconds = min(args.wrk_seconds, 5)
    args.stages = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(args.stages) - set(STAGES)
    if unknown:
        p.error(f"unknown stages: {', '.join(sorted(unknown))}")
    args.scales = [int(s) for s in args.e2e_scales.split(",") if s.strip()] or [args.subscribers]
    if max(args.scales) > args.subscribers:
        p.error("--e2e-scales cannot exceed --subscribers")
    return args


def configure_environment(args) -> None:
    """Before Django and numpy are imported: database, broker, queue, threads, offline model."""
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    if "bench" not in urllib.parse.urlparse(os.environ["DATABASE_URL"]).path:
        sys.exit(
            "BENCH_DATABASE_URL must name a database containing 'bench': the benchmark drops and re-creates it"
        )
    os.environ["CELERY_BROKER_URL"] = os.environ.get("BENCH_BROKER_URL", DEFAULT_BROKER)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    os.environ["CELERY_TASK_DEFAULT_QUEUE"] = f"pd-bench-{os.getpid()}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    sys.path.insert(0, str(ROOT))


def database_create(args) -> bool:
    """Drop and re-create the bench database (or keep it with --reuse-db); return True when reused."""
    import psycopg2
    from psycopg2 import sql

    url = urllib.parse.urlparse(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/")
    admin = url._replace(path="/postgres").geturl()
    if args.reuse_db:
        try:
            with psycopg2.connect(os.environ["DATABASE_URL"]) as conn, conn.cursor() as cur:
                cur.execute(
                    "SELECT (SELECT count(*) FROM subscriptions_subscriber), (SELECT count(*) FROM digest_paper)"
                )
                if cur.fetchone() == (args.subscribers, args.papers):
                    return True
        except psycopg2.Error:
            pass
    conn = psycopg2.connect(admin)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()
    return False


def setup(args, edition_date: date) -> dict:
    import logging

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    reused = database_create(args)
    import django

    django.setup()
    from django.core.management import call_command

    from bench import population

    started = time.perf_counter()
    if not reused:
        call_command("migrate", verbosity=0)
        population.papers_load(count=args.papers, edition_date=edition_date)
        population.subscribers_load(count=args.subscribers)
    elapsed = time.perf_counter() - started
    # Planner statistics, as autovacuum gathers them after a bulk load in production: on a
    # box that runs PostgreSQL with autovacuum off the tables were never analyzed, and the
    # preview's freshness check then took a nested loop over 2,000 papers (13 ms, not 3).
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    say(
        f"setup: {args.subscribers:,} subscribers, {args.papers:,} papers {'(reused)' if reused else f'written in {elapsed:.1f}s'}"
    )
    return {"setup_s": elapsed, "reused": reused}


# --- 1. Embedding ------------------------------------------------------------
def stage_embed(args) -> dict:
    from django.conf import settings

    from digest import embedding
    from digest.models import Paper, PaperEmbedding
    from digest.ranking import paper_text

    rows = list(Paper.objects.order_by("id").values_list("id", "title", "abstract")[: args.embed_texts])
    ids = [r[0] for r in rows]
    texts = [paper_text(r[1], r[2]) for r in rows]
    model = embedding.load_model(embedding.model_name())
    model.encode(texts[:16], batch_size=16)  # warm-up: first call pays lazy init

    def bare():
        model.encode(
            texts,
            batch_size=settings.EMBEDDING_BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    def ours():
        embedding.embed_texts(texts)

    def with_db():
        embedding.papers_embed(paper_ids=ids)

    best = {"bare": float("inf"), "embed_texts": float("inf"), "papers_embed": float("inf")}
    for _ in range(3):  # interleaved, best of three: the machine is shared and noisy
        for name, fn in (("bare", bare), ("embed_texts", ours), ("papers_embed", with_db)):
            if fn is with_db:  # untimed: papers_embed only embeds papers that have no vector
                PaperEmbedding.objects.filter(paper_id__in=ids).delete()
            t = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t)
    out = {
        "texts": len(texts),
        "bare_papers_per_s": len(texts) / best["bare"],
        "embed_texts_papers_per_s": len(texts) / best["embed_texts"],
        "papers_embed_papers_per_s": len(texts) / best["papers_embed"],
        "embed_texts_overhead": best["embed_texts"] / best["bare"] - 1,
        "papers_embed_overhead": best["papers_embed"] / best["bare"] - 1,
        "load": load(),
    }
    say(
        f"embed: bare encode {out['bare_papers_per_s']:.1f} papers/s | embed_texts {out['embed_texts_papers_per_s']:.1f} "
        f"({out['embed_texts_overhead']:+.1%}) | papers_embed incl. DB {out['papers_embed_papers_per_s']:.1f} "
        f"({out['papers_embed_overhead']:+.1%}) over {len(texts)} papers [{out['load']}]"
    )
    if not args.no_onnx:
        from bench import onnx_backends

        out["onnx"] = onnx_backends.compare(texts, threads=args.threads)
    return out


# --- 2. Scoring and selection ----------------------------------------------------
def stage_score(args, edition_date: date) -> dict:
    from django.conf import settings

    from core.chunks import chunked
    from digest import ranking
    from digest.candidates import candidate_window, paper_set
    from digest.profiles import profiles_for
    from digest.ranking import batch
    from subscriptions.models import Subscriber

    papers = paper_set(*candidate_window(edition_date))
    t = time.perf_counter()
    papers.lexical  # noqa: B018 - built once per process in production; timed apart here
    index_s = time.perf_counter() - t
    ids = list(
        Subscriber.objects.filter(status=Subscriber.Status.ACTIVE).order_by("pk").values_list("pk", flat=True)
    )
    load_s = rank_s = 0.0
    # The reference (ranking.rank) on the first --reference-sample profiles, same chunks, same profiles.
    compared = differing = 0
    first_chunk_s = 0.0
    sample_fast_s = sample_reference_s = 0.0
    picked = 0
    rank_profiler, load_profiler = cProfile.Profile(), cProfile.Profile()
    for number, chunk in enumerate(chunked(ids, settings.DIGEST_SCORE_CHUNK_SIZE)):
        subscribers = list(Subscriber.objects.filter(pk__in=chunk))
        t = time.perf_counter()
        if number == 1:
            load_profiler.enable()
        profiles = profiles_for(subscribers, edition_date=edition_date)
        if number == 1:
            load_profiler.disable()
        t2 = time.perf_counter()
        # Chunk 0 computes the rows of most of the day's texts; chunk 1 is what most chunks cost.
        if number == 1:
            rank_profiler.enable()
        picks = ranking.rank_batch(papers, profiles)
        if number == 1:
            rank_profiler.disable()
        t3 = time.perf_counter()
        load_s += t2 - t
        rank_s += t3 - t2
        picked += sum(len(p) for p in picks.values())
        if number == 0:
            first_chunk_s = t3 - t2
        elif compared < args.reference_sample:  # after the first chunk, which computes most of the day's rows
            expected = ranking.rank(papers, profiles)
            sample_reference_s += time.perf_counter() - t3
            sample_fast_s += t3 - t2
            compared += len(profiles)
            differing += sum(
                [p.paper_id for p in expected[key]] != [p.paper_id for p in picks[key]] for key in expected
            )
    total = load_s + rank_s
    day = batch._day(papers)
    facet_rows, exclusion_rows = day.facets, day.exclusions
    parallel_s = _score_in_processes(ids, edition_date, processes=args.workers, reference=False)
    parallel_reference_s = (
        _score_in_processes(ids, edition_date, processes=args.workers, reference=True)
        if args.reference_parallel
        else None
    )
    # The naive baseline: what a per-subscriber loop costs (a profile query and a ranking call each).
    sample = Subscriber.objects.filter(pk__in=ids[: args.naive_sample])
    t = time.perf_counter()
    for subscriber in sample:
        ranking.rank(papers, profiles_for([subscriber], edition_date=edition_date))
    naive_s = time.perf_counter() - t
    naive_rate = args.naive_sample / naive_s
    rate = len(ids) / total
    scale = 100_000 / len(ids) * (len(papers) / 2000 if len(papers) else 1)
    out = {
        "subscribers": len(ids),
        "papers": len(papers),
        "lexical_index_s": index_s,
        "load_profiles_s": load_s,
        "rank_s": rank_s,
        "total_s": total,
        "profiles_per_s": rate,
        "kept_facet_rows": facet_rows.count,
        "kept_exclusion_rows": exclusion_rows.count,
        "rows_mb": (facet_rows.nbytes + exclusion_rows.nbytes) / 2**20,
        "rank_batch_first_chunk_s": first_chunk_s,
        "reference_sample": compared,
        "reference_sample_differing": differing,
        "reference_sample_rank_s": sample_reference_s,
        "reference_sample_rank_batch_s": sample_fast_s,
        "rank_batch_vs_reference": sample_reference_s / sample_fast_s if sample_fast_s else None,
        "parallel_processes": args.workers,
        "parallel_s": parallel_s,
        "parallel_projected_100k_s": parallel_s * scale,
        "parallel_reference_s": parallel_reference_s,
        "rank_only_profiles_per_s": len(ids) / rank_s,
        "projected_100k_s": 100_000 / rate * (len(papers) / 2000 if len(papers) else 1),
        "naive_profiles_per_s": naive_rate,
        "speedup_vs_naive": rate / naive_rate,
        "picks": picked,
        "driver_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "load": load(),
    }
    for name, profiler in (("profile_top", rank_profiler), ("profile_load_top", load_profiler)):
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(12)
        out[name] = [line for line in stream.getvalue().splitlines() if re.match(r"\s+\d", line)][:12]
    reference = f"; reference rank {parallel_reference_s:.1f}s" if parallel_reference_s is not None else ""
    say(
        f"score: {len(ids):,} subscribers x {len(papers):,} papers in {total:.1f}s in one process "
        f"(profiles from DB {load_s:.1f}s + rank_batch {rank_s:.1f}s; BM25 index {index_s:.2f}s once) = {rate:,.0f} profiles/s, "
        f"{out['speedup_vs_naive']:.1f}x the naive loop ({naive_rate:,.0f}/s); rows kept (texts shared by two readers or more): "
        f"{facet_rows.count:,} facet/summary, {exclusion_rows.count:,} exclusion ({out['rows_mb']:.0f} MB); projected 100k x 2k: "
        f"{out['projected_100k_s']:.1f}s; in {args.workers} processes (1 BLAS thread each): {parallel_s:.1f}s{reference} [{out['load']}]"
    )
    if compared:
        say(
            f"  rank_batch vs rank on {compared:,} profiles after the first chunk: {sample_fast_s:.2f}s vs {sample_reference_s:.2f}s "
            f"= {out['rank_batch_vs_reference']:.1f}x; picks differ for {differing}; the first chunk (rows of most of the day's "
            f"texts) {first_chunk_s:.2f}s [{load()}]"
        )
    if args.profile:
        say("  cProfile, the second chunk of rank_batch (tottime):")
        for line in out["profile_top"]:
            say("   " + line)
        say("  cProfile, the second chunk of profiles_for (tottime):")
        for line in out["profile_load_top"]:
            say("   " + line)
    return out


def _score_part(part: tuple[list[int], date, bool]) -> int:
    """One process's share of the chunks: load profiles and rank, as a build task does."""
    from django.conf import settings
    from threadpoolctl import threadpool_limits

    from core.chunks import chunked
    from digest import ranking
    from digest.candidates import candidate_window, paper_set
    from digest.profiles import profiles_for
    from subscriptions.models import Subscriber

    ids, edition_date, reference = part
    rank = ranking.rank if reference else ranking.rank_batch
    picked = 0
    with threadpool_limits(1):  # the processes are the parallelism, as in the Celery pool
        papers = paper_set(*candidate_window(edition_date))
        for chunk in chunked(ids, settings.DIGEST_SCORE_CHUNK_SIZE):
            profiles = profiles_for(list(Subscriber.objects.filter(pk__in=chunk)), edition_date=edition_date)
            picked += sum(len(p) for p in rank(papers, profiles).values())
    return picked


def _score_in_processes(ids: list[int], edition_date: date, *, processes: int, reference: bool) -> float:
    """Wall time to load and rank every chunk in `processes` forked processes (chunks dealt round-robin).

    reference: rank with ranking.rank instead of ranking.rank_batch. Each child starts
    with the driver's PaperSet, not with its rows: the driver's are emptied first.
    """
    import multiprocessing

    from django.conf import settings
    from django.db import connections

    from core.chunks import chunked
    from digest.ranking import batch

    chunks = chunked(ids, settings.DIGEST_SCORE_CHUNK_SIZE)
    parts = [
        ([i for chunk in chunks[k::processes] for i in chunk], edition_date, reference)
        for k in range(processes)
    ]
    batch._days.clear()
    connections.close_all()  # each child opens its own
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        pool.map(_score_part, parts)
    return time.perf_counter() - started


def _build_part(part: tuple[list[int], date, bool]) -> list[float]:
    """One process's share of the build: digests_build chunk by chunk; its RSS after each chunk."""
    from unittest import mock

    from django.conf import settings
    from threadpoolctl import threadpool_limits

    from core.chunks import chunked
    from digest import build, ranking

    ids, edition_date, reference = part
    rss = []
    with (
        threadpool_limits(1),  # the processes are the parallelism, as in the Celery pool
        mock.patch.object(ranking, "rank_batch", ranking.rank if reference else ranking.rank_batch),
    ):
        for chunk in chunked(ids, settings.DIGEST_SCORE_CHUNK_SIZE):
            build.digests_build(subscriber_ids=chunk, edition_date=edition_date)
            rss.append(_rss_mb(os.getpid()))
    return rss


def stage_build(args, edition_date: date) -> dict:
    """The build phase as build tasks run it (digest.build.digests_build, chunk by chunk), in
    --build-processes forked processes: rank_batch (what the daily run uses), then the reference
    rank swapped in, on the first --build-reference-sample of the same readers.

    Time per pass, and each process's RSS after each of its chunks (flat in readers: a process
    holds one chunk, the day's PaperSet and the rows of distinct texts, bounded by
    ranking.batch.ROWS_BUDGET_BYTES). The digests written are deleted after each pass.
    """
    import multiprocessing

    from django.conf import settings
    from django.db import connections

    from core.chunks import chunked
    from digest.models import Digest
    from digest.ranking import batch
    from subscriptions.models import Subscriber

    ids = list(
        Subscriber.objects.filter(status=Subscriber.Status.ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)[: args.build_sample]
    )
    reference_count = (
        len(ids) if args.build_reference_sample is None else min(args.build_reference_sample, len(ids))
    )
    processes = args.build_processes
    out: dict = {"subscribers": len(ids), "processes": processes, "reference_subscribers": reference_count}
    passes = [("rank_batch", ids, False)] + (
        [("rank", ids[:reference_count], True)] if reference_count else []
    )
    for name, readers, reference in passes:
        Digest.objects.filter(edition_date=edition_date).delete()
        batch._days.clear()  # cold processes: the rows of the day's texts are computed in the pass
        chunks = chunked(readers, settings.DIGEST_SCORE_CHUNK_SIZE)
        parts = [
            ([i for chunk in chunks[k::processes] for i in chunk], edition_date, reference)
            for k in range(processes)
        ]
        connections.close_all()  # each child opens its own
        started = time.perf_counter()
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            rss = pool.map(_build_part, parts)
        elapsed = time.perf_counter() - started
        written = Digest.objects.filter(edition_date=edition_date).count()
        out[name] = {
            "subscribers": len(readers),
            "digests": written,
            "s": elapsed,
            "readers_per_s": len(readers) / elapsed,
            "rss_mb_after_chunks": [[round(r) for r in part] for part in rss],
            "load": load(),
        }
        firsts = ", ".join(f"{part[0]:.0f}" for part in rss if part)
        lasts = ", ".join(f"{part[-1]:.0f}" for part in rss if part)
        peaks = ", ".join(f"{max(part):.0f}" for part in rss if part)
        say(
            f"build ({name}): {len(readers):,} readers, {written:,} digests in {elapsed:.1f}s = "
            f"{len(readers) / elapsed:,.0f} readers/s in {processes} process(es); RSS per process after its first "
            f"chunk {firsts} MB, after its last {lasts} MB, peak {peaks} MB [{out[name]['load']}]"
        )
    Digest.objects.filter(edition_date=edition_date).delete()
    if "rank" in out:
        out["rank_batch_vs_rank"] = out["rank_batch"]["readers_per_s"] / out["rank"]["readers_per_s"]
        say(f"  build phase, rank_batch vs rank (readers/s): {out['rank_batch_vs_rank']:.1f}x")
    return out


# --- 3. End to end on Celery workers ---------------------------------------------
def _tree(pid: int) -> list[int]:
    """pid and its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class MemorySampler(threading.Thread):
    """Peak RSS of a process tree: the largest single process and the largest sum."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak_process, self.peak_total = pid, 0.0, 0.0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.wait(0.5):
            sizes = [_rss_mb(p) for p in _tree(self.pid)]
            self.peak_process = max(self.peak_process, max(sizes, default=0))
            self.peak_total = max(self.peak_total, sum(sizes))


def spawn(cmd: list[str], env: dict, **kw) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True, **kw)
    CHILDREN.append(proc)
    return proc


def stop(proc: subprocess.Popen, timeout: float = 30) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def smtp_sink_start() -> tuple[subprocess.Popen, int]:
    port = free_port()
    sink = spawn(
        [sys.executable, "-m", "bench.smtp_sink", str(port)],
        dict(os.environ),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sink.stdout.readline().strip() == "ready"
    return sink, port


def workers_start(args, smtp_port: int, name: str = "bench1") -> subprocess.Popen:
    env = dict(
        os.environ,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        # One BLAS thread per worker process: the pool is the parallelism.
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    cmd = [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "prefork", "-c", str(args.workers)]
    cmd += [
        "-Q",
        os.environ["CELERY_TASK_DEFAULT_QUEUE"],
        "-n",
        f"{name}@%h",
        "-l",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
    ]
    worker = spawn(cmd, env)
    from config.celery import app

    deadline = time.time() + 120
    while time.time() < deadline:
        if app.control.ping(destination=[f"{name}@{socket.gethostname()}"], timeout=1.0):
            return worker
        if worker.poll() is not None:
            raise RuntimeError("the Celery worker exited at start")
    raise RuntimeError("the Celery worker did not answer a ping in 120 s")


def _commits() -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_stat_clear_snapshot()")
        cur.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
        return int(cur.fetchone()[0])


def e2e_once(args, edition_date: date, count: int, worker: subprocess.Popen) -> dict:
    from django.db import connection
    from django.db.models import Count

    from digest import pipeline
    from digest.models import DailyRun, Digest
    from subscriptions.models import Subscriber

    with connection.cursor() as cur:
        cur.execute("TRUNCATE digest_digestitem, digest_digest, digest_dailyrun")
    ids = list(Subscriber.objects.order_by("pk").values_list("pk", flat=True)[:count])
    sampler = MemorySampler(worker.pid)
    sampler.start()
    commits = _commits()
    t0 = time.perf_counter()
    run = pipeline.daily_run_start(edition_date=edition_date, subscriber_ids=ids)
    built_at = None
    statuses: dict = {}
    while time.perf_counter() - t0 < args.e2e_timeout:
        time.sleep(0.5)
        run.refresh_from_db()
        if run.status == DailyRun.Status.FAILED:
            raise RuntimeError(f"daily run failed: {run.error}")
        if run.finished_at and built_at is None:
            built_at = time.perf_counter() - t0
        if built_at is not None:
            statuses = dict(
                Digest.objects.filter(edition_date=edition_date).values_list("status").annotate(n=Count("id"))
            )
            if not statuses.get("pending") and not statuses.get("sending"):
                break
    elapsed = time.perf_counter() - t0
    sampler.stop.set()
    sampler.join()
    time.sleep(1.5)  # statistics are flushed to pg_stat_database about once a second
    digests = sum(statuses.values()) or 1
    out = {
        "subscribers": count,
        "build_s": built_at,
        "total_s": elapsed,
        "digests": sum(statuses.values()),
        "statuses": statuses,
        "digests_per_s": statuses.get("sent", 0) / elapsed,
        "peak_worker_process_mb": sampler.peak_process,
        "peak_worker_pool_mb": sampler.peak_total,
        "commits_per_digest": (_commits() - commits) / digests,
        "projected_100k_s": elapsed * 100_000 / count,
        "load": load(),
    }
    say(
        f"e2e: {count:,} subscribers: built in {built_at or float('nan'):.1f}s, all sent in {elapsed:.1f}s "
        f"({out['digests_per_s']:.0f} digests/s; {statuses}); peak worker process {sampler.peak_process:.0f} MB, "
        f"pool {sampler.peak_total:.0f} MB; {out['commits_per_digest']:.1f} commits/digest; "
        f"projected 100k: {out['projected_100k_s'] / 60:.1f} min [{out['load']}]"
    )
    return out


def stage_e2e(args, edition_date: date) -> dict:
    sink, port = smtp_sink_start()
    worker = workers_start(args, port)
    runs = []
    try:
        for count in args.scales:
            runs.append(e2e_once(args, edition_date, count, worker))
        stop(worker)
        send_profile = profile_send(port, edition_date, show=args.profile)
    finally:
        stop(worker)
        stop(sink)
    received = sink.stdout.read().strip()
    say(f"  SMTP sink: {received}")
    return {"runs": runs, "sink": received, "workers": args.workers, "send_profile": send_profile}


def profile_send(smtp_port: int, edition_date: date, *, show: bool, count: int = 200) -> dict:
    """cProfile of delivery.digests_send in this process: where a digest's send time goes."""
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from digest import delivery
    from digest.models import Digest

    ids = list(
        Digest.objects.filter(edition_date=edition_date, status="sent")
        .order_by("pk")
        .values_list("pk", flat=True)[:count]
    )
    Digest.objects.filter(pk__in=ids).update(status="pending", sent_at=None)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_port
    profiler = cProfile.Profile()
    t = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        profiler.enable()
        for chunk in range(0, len(ids), settings.DIGEST_SEND_CHUNK_SIZE):
            delivery.digests_send(digest_ids=ids[chunk : chunk + settings.DIGEST_SEND_CHUNK_SIZE])
        profiler.disable()
    elapsed = time.perf_counter() - t
    stats = pstats.Stats(profiler)
    wanted = {
        "claim a chunk's first (UPDATE)": "_claim",
        "mark sent + claim next (one statement)": "_mark_and_claim",
        "context (links, tokens)": "digest_context",
        "render (Jinja2 + css-inline)": "render_parts",
        "MIME encode (as_bytes)": "as_bytes",
        "SMTP sendmail": "sendmail",
        "load chunk (3 queries per 50)": "__iter__",
    }
    shares = {}
    for label, func in wanted.items():
        cum = max(
            (
                v[3]
                for k, v in stats.stats.items()
                if k[2] == func and (func != "__iter__" or k[0].endswith("query.py"))
            ),
            default=0.0,
        )
        shares[label] = cum / max(len(ids), 1) * 1000
    out = {
        "digests": len(ids),
        "ms_per_digest": elapsed / max(len(ids), 1) * 1000,
        "queries_per_digest": len(queries) / max(len(ids), 1),
        "ms_by_step": shares,
        "load": load(),
    }
    say(
        f"  send profile, one process: {out['ms_per_digest']:.1f} ms/digest, {out['queries_per_digest']:.2f} queries/digest; "
        + ", ".join(f"{k} {v:.1f} ms" for k, v in shares.items())
        + f" [{out['load']}]"
    )
    if show:
        stream = io.StringIO()
        stats.stream = stream
        stats.sort_stats("tottime").print_stats(12)
        say("\n".join("   " + line for line in stream.getvalue().splitlines() if re.match(r"\s+\d", line)))
    return out


# --- 4. Web ---------------------------------------------------------------------------
# The preview as the sign-up page's script sends it: POST /preview, form-encoded, with the
# CSRF cookie and token, a 3-line profile and the reader's choices (subscriptions.views.preview).
# Each request types other words (3 of PREVIEW_TOPICS), so no request finds its words embedded
# by an earlier one (a process remembers its last 64 small embedding calls).
PREVIEW_FIELDS = {"exclusions": "surveys", "threshold_mode": "recommended", "digest_size": "5"}
PREVIEW_TOPICS = (
    "retrieval-augmented generation",
    "long-context language models",
    "vision-language models",
    "protein structure prediction",
    "graph neural networks for molecules",
    "speech recognition",
    "reinforcement learning from human feedback",
    "diffusion models for images",
    "causal inference",
    "robot manipulation",
    "federated learning",
    "time series forecasting",
    "weather and climate models",
    "code generation",
    "mixture of experts",
    "3D reconstruction",
    "machine translation",
    "tabular data",
    "molecule generation",
    "medical image segmentation",
)
PREVIEW_BODIES = 1000  # distinct profiles wrk picks from at random


def preview_interests(n: int) -> str:
    """The n-th 3-line profile: three different topics, a different combination for each n < 6,840."""
    k = len(PREVIEW_TOPICS)
    a, b, c = n % k, (n // k) % (k - 1), (n // (k * (k - 1))) % (k - 2)
    rest = [t for i, t in enumerate(PREVIEW_TOPICS) if i != a]
    last = [t for t in rest if t != rest[b]]
    return "\n".join((PREVIEW_TOPICS[a], rest[b], last[c]))


# Every request comes from another visitor (bench/settings.py reads X-Forwarded-For), so the
# per-client preview budget is charged as in production but never refuses the benchmark.
WRK_PREVIEW_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = %s
bodies = {%s}
request = function()
  wrk.headers["X-Forwarded-For"] = "10." .. math.random(0, 255) .. "." .. math.random(0, 255) .. ".1"
  return wrk.format(nil, nil, nil, bodies[math.random(#bodies)])
end
"""


def _ms(value: str) -> float:
    """wrk's latency ("812.00us", "23.4ms", "1.2s") in milliseconds."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def _wrk(url: str, args, script: str | None = None) -> dict:
    cmd = [
        "wrk",
        "-t2",
        f"-c{args.wrk_connections}",
        f"-d{args.wrk_seconds}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    if script:
        cmd += ["-s", script]
    result = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", result).group(1))
    p50 = re.search(r"50%\s+([\d.]+\w+)", result).group(1)
    p99 = re.search(r"99%\s+([\d.]+\w+)", result).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result)
    return {
        "rps": rps,
        "p50": p50,
        "p99": p99,
        "p50_ms": _ms(p50),
        "p99_ms": _ms(p99),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "load": load(),
    }


class _Preview:
    """POST /preview the way the sign-up page does: CSRF cookie and token from the page, then the form."""

    def __init__(self, base: str):
        with urllib.request.urlopen(base + "/", timeout=30) as response:
            cookies = [v for k, v in response.getheaders() if k.lower() == "set-cookie"]
            page = response.read().decode()
        self.cookie = next(c.split(";", 1)[0] for c in cookies if c.startswith("csrftoken="))
        self.token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        self.url = base + "/preview"
        self.visitor = 0

    def body(self, n: int) -> str:
        fields = {"interests": preview_interests(n), **PREVIEW_FIELDS, "csrfmiddlewaretoken": self.token}
        return urllib.parse.urlencode(fields)

    def __call__(self) -> tuple[float, dict]:
        """One preview from a new visitor with words of their own: (seconds, the JSON)."""
        self.visitor += 1
        request = urllib.request.Request(
            self.url,
            # Far from the wrk script's profiles (the first PREVIEW_BODIES).
            data=self.body(5_000 + self.visitor).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": self.cookie,
                "X-Forwarded-For": f"10.200.{self.visitor // 250}.{self.visitor % 250}",
            },
        )
        t = time.perf_counter()
        with urllib.request.urlopen(request, timeout=120) as response:
            answer = json.loads(response.read())
        return time.perf_counter() - t, answer

    def wrk_script(self) -> str:
        path = ROOT / "var" / "bench" / f"preview-{os.getpid()}.lua"
        path.parent.mkdir(parents=True, exist_ok=True)
        bodies = ", ".join(json.dumps(self.body(n)) for n in range(PREVIEW_BODIES))
        path.write_text(WRK_PREVIEW_SCRIPT % (json.dumps(self.cookie), bodies))
        return str(path)


def stage_web(args) -> dict:
    if not shutil.which("wrk"):
        say("web: skipped, wrk is not installed (bin/bench installs it as root: apt-get install wrk)")
        return {"skipped": "wrk not installed"}
    port = free_port()
    env = dict(
        os.environ,
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        # The deployed configuration (its warm-up included), 2 workers, no access log.
        GUNICORN_WORKERS="2",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_ACCESS_LOG="",
        GUNICORN_LOG_LEVEL="warning",
    )
    cmd = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "config.wsgi"]
    started = time.perf_counter()
    server = spawn(cmd, env)
    base = f"http://127.0.0.1:{port}"
    say(
        f"web: preview request: POST /preview, form-encoded interests={preview_interests(0)!r} (3 lines of "
        f"{len(PREVIEW_TOPICS)} topics, other words each request), "
        + ", ".join(f"{k}={v!r}" for k, v in PREVIEW_FIELDS.items())
        + ", with the page's CSRF cookie and token"
    )
    try:
        deadline = time.time() + 300
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        ready_s = time.perf_counter() - started
        # A worker accepts only once warm (post_worker_init): the first visitor waits no longer than the next.
        preview = _Preview(base)
        first_s, answer = preview()
        second_s, _ = preview()
        assert answer["papers"], "the preview found no papers: nothing was measured"
        warm = sorted(preview()[0] for _ in range(args.preview_samples))
        out = {
            "ready_s": ready_s,
            "preview_request": {
                "method": "POST",
                "path": "/preview",
                "fields": {"interests": preview_interests(0), **PREVIEW_FIELDS},
                "interests_vary": f"3 of {len(PREVIEW_TOPICS)} topics per request",
            },
            "preview_first_ms": first_s * 1000,
            "preview_second_ms": second_s * 1000,
            "preview_warm_median_ms": warm[len(warm) // 2] * 1000,
            "preview_warm_p90_ms": warm[int(len(warm) * 0.9)] * 1000,
            "preview_one_connection_load": load(),
            "signup": _wrk(base + "/", args),
            "preview": _wrk(preview.url, args, script=preview.wrk_script()),
            "connections": args.wrk_connections,
        }
    finally:
        stop(server)
    say(
        f"web: gunicorn up (2 workers warm) in {ready_s:.1f}s; preview, one connection: first after the start "
        f"{out['preview_first_ms']:.0f} ms, second {out['preview_second_ms']:.0f} ms, warm median "
        f"{out['preview_warm_median_ms']:.0f} ms (p90 {out['preview_warm_p90_ms']:.0f} ms, {args.preview_samples} visitors) "
        f"[{out['preview_one_connection_load']}]"
    )
    for name in ("signup", "preview"):
        r = out[name]
        say(
            f"web {name}, wrk {args.wrk_connections} connections: {r['rps']:.0f} req/s, p50 {r['p50']}, p99 {r['p99']}, "
            f"non-2xx {r['non_2xx']} [{r['load']}]"
        )
    return out


def main() -> None:
    args = parse_args()
    configure_environment(args)
    edition_date = date.today()
    say(
        f"Paper Digest bench: {args.subscribers:,} subscribers x {args.papers:,} papers, stages {','.join(args.stages)}"
    )
    say(f"machine: {os.cpu_count()} CPUs, {_cpu_model()}, {_ram_gb():.0f} GiB RAM [{load()}]")
    results: dict = {
        "args": {k: v for k, v in vars(args).items()},
        "machine": {"cpus": os.cpu_count(), "cpu": _cpu_model(), "ram_gb": _ram_gb()},
    }
    try:
        results["setup"] = setup(args, edition_date)
        if "embed" in args.stages:
            results["embed"] = stage_embed(args)
        if "score" in args.stages:
            results["score"] = stage_score(args, edition_date)
        if "build" in args.stages:
            results["build"] = stage_build(args, edition_date)
        if "e2e" in args.stages:
            results["e2e"] = stage_e2e(args, edition_date)
        if "web" in args.stages:
            results["web"] = stage_web(args)
    finally:
        for proc in CHILDREN:
            stop(proc, timeout=10)
    summary(results)
    out = ROOT / "var" / "bench" / f"results-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str))
    say(f"\nresults: {out.relative_to(ROOT)}")


def summary(r: dict) -> None:
    say("\n== summary (targets from the scale issue) ==")
    if "embed" in r:
        e = r["embed"]
        ok = "met" if e["papers_embed_overhead"] < 0.10 else "MISSED"
        say(
            f"embedding overhead vs bare encode: {e['papers_embed_overhead']:+.1%} incl. DB, {e['embed_texts_overhead']:+.1%} embed_texts (target < 10%: {ok})"
        )
        onnx = e.get("onnx") or {}
        for name, row in onnx.get("backends", {}).items():
            say(
                f"  {name}: {row['speedup']:.2f}x torch, nDCG@10 {row['ndcg10']:.3f} ({row['ndcg_delta']:+.3f}) -> {row['verdict']}"
            )
        if onnx.get("skipped"):
            say(f"  ONNX: {onnx['skipped']}")
    if "score" in r:
        s = r["score"]
        say(
            f"scoring+selection 100k x 2k: {s['projected_100k_s']:.1f}s in one process projected from {s['subscribers']:,}; {s['parallel_projected_100k_s']:.1f}s in {s['parallel_processes']} processes (target < 10 s on 2 cores: {'met' if s['parallel_projected_100k_s'] < 10 else 'MISSED'}); {s['speedup_vs_naive']:.1f}x naive; rank_batch {s['rank_batch_vs_reference'] or 0:.1f}x rank, {s['reference_sample_differing']} of {s['reference_sample']:,} picks differing"
        )
    if "build" in r:
        b = r["build"]
        rss = [mb for part in b["rank_batch"]["rss_mb_after_chunks"] for mb in part]
        vs = (
            f", rank {b['rank']['s']:.1f}s on {b['reference_subscribers']:,} ({b['rank_batch_vs_rank']:.1f}x)"
            if "rank" in b
            else ""
        )
        say(
            f"build phase in {b['processes']} process(es), {b['subscribers']:,} readers: rank_batch {b['rank_batch']['s']:.1f}s{vs}; "
            f"RSS per process {min(rss)}-{max(rss)} MB"
        )
    if "e2e" in r:
        for run in r["e2e"]["runs"]:
            ok = "met" if run["projected_100k_s"] < 300 else "MISSED"
            say(
                f"end to end {run['subscribers']:,}: {run['total_s']:.0f}s, 100k projected {run['projected_100k_s'] / 60:.1f} min "
                f"(target < 5 min: {ok}) [{run['load']}]; peak worker process {run['peak_worker_process_mb']:.0f} MB"
            )
    if "web" in r and "signup" in r["web"]:
        w = r["web"]
        s, pv = w["signup"], w["preview"]
        ok = "met" if s["rps"] >= 400 and s["p99_ms"] < 100 else "MISSED"
        say(
            f"web sign-up: {s['rps']:.0f} req/s, p99 {s['p99']} (target >= 400 req/s, p99 < 100 ms: {ok}) [{s['load']}]"
        )
        ok = "met" if w["preview_warm_median_ms"] < 50 else "MISSED"
        cold = "met" if w["preview_first_ms"] < max(2 * w["preview_second_ms"], 100) else "MISSED"
        say(
            f"web preview: warm median {w['preview_warm_median_ms']:.0f} ms (target < 50 ms: {ok}); first after a start "
            f"{w['preview_first_ms']:.0f} ms vs second {w['preview_second_ms']:.0f} ms (no cold start: {cold}); "
            f"{pv['rps']:.0f} req/s, p99 {pv['p99']} under wrk [{w['preview_one_connection_load']}]"
        )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def _ram_gb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


if __name__ == "__main__":
    main()

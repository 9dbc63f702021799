"""Selectors for the operator pages: every figure is one aggregate query (GROUP BY day,
status or source), so the cost follows the number of days shown, not the number of rows.

Python only reshapes the grouped rows (at most days x statuses) into chart series.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, F, Max, OuterRef, Q, Sum
from django.db.models.functions import Floor, TruncDate
from django.utils import timezone

from digest.models import LATE_AFTER, DailyRun, Digest, DigestItem, IngestRun, Paper, ScheduleSlot
from digest.retention import TableSize, table_sizes
from ops.charts import Chart, Series, bar_chart, line_chart, stacked_bar_chart
from subscriptions.models import Feedback, Subscriber, SubscriberStatusChange

DEFAULT_DAYS = 30
# Past a quarter the daily charts grow unreadable.
MAX_DAYS = 90
TOP_PAPERS = 10
# Histogram buckets per 1.0 of score: 0.1 wide.
SCORE_BINS_PER_UNIT = 10
RECENT_DAILY_RUNS = 30
RECENT_INGEST_RUNS = 20

# Digest statuses as shown per day; pending and sending are both "not sent yet".
DIGEST_SERIES = (
    ("sent", [Digest.Status.SENT]),
    ("failed", [Digest.Status.FAILED]),
    ("skipped", [Digest.Status.SKIPPED]),
    ("in flight", [Digest.Status.PENDING, Digest.Status.SENDING]),
)


@dataclass(frozen=True)
class Window:
    """The last `days` days, ending today (inclusive)."""

    until: date
    days: int

    @property
    def since(self) -> date:
        return self.until - timedelta(days=self.days - 1)

    @property
    def dates(self) -> list[date]:
        return [self.since + timedelta(days=i) for i in range(self.days)]

    @property
    def labels(self) -> list[str]:
        return [d.strftime("%m-%d") for d in self.dates]


def window_for(*, days: int | None = None, until: date | None = None) -> Window:
    days = min(max(days or DEFAULT_DAYS, 1), MAX_DAYS)
    return Window(until=until or timezone.localdate(), days=days)


# --- Subscribers -------------------------------------------------------------


def subscribers_by_status() -> dict[str, int]:
    """Current count per status, every status present (zeros included)."""
    counts = dict(Subscriber.objects.values_list("status").annotate(n=Count("id")).order_by())
    return {status.label: counts.get(status.value, 0) for status in Subscriber.Status}


def subscribers_over_time(window: Window) -> dict[str, list[int]]:
    """Subscribers in each status at the end of each day, replayed from the status history.

    One query groups every change up to the window's last day by (day, from, to);
    each change moves one subscriber from its previous status to the new one.
    Subscribers deleted since (their data really deleted) take their history with them.
    """
    changes = (
        SubscriberStatusChange.objects.filter(changed_at__date__lte=window.until)
        .annotate(day=TruncDate("changed_at"))
        .values_list("day", "previous_status", "status")
        .annotate(n=Count("id"))
        .order_by("day")
    )
    totals = {status.value: 0 for status in Subscriber.Status}
    series: dict[str, list[int]] = {status.value: [] for status in Subscriber.Status}
    dates = iter(window.dates)
    current = next(dates)
    for day, previous, status, n in changes:
        while day > current:
            for name, count in totals.items():
                series[name].append(count)
            current = next(dates)
        if previous:
            totals[previous] -= n
        totals[status] += n
    for _ in range(window.days - len(series[Subscriber.Status.PENDING])):
        for name, count in totals.items():
            series[name].append(count)
    return series


# --- Digests -----------------------------------------------------------------


def digests_per_day(window: Window) -> dict[str, list[int]]:
    """Digests per edition date, by outcome (see DIGEST_SERIES)."""
    rows = (
        Digest.objects.filter(edition_date__range=(window.since, window.until))
        .values_list("edition_date", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {(day, status): n for day, status, n in rows}
    return {
        name: [sum(counts.get((day, s), 0) for s in statuses) for day in window.dates]
        for name, statuses in DIGEST_SERIES
    }


def empty_digest_share(window: Window) -> dict[str, list[float]]:
    """Per edition date: digests, how many carry no paper, and that share in percent."""
    has_items = Exists(DigestItem.objects.filter(digest=OuterRef("pk")))
    rows = (
        Digest.objects.filter(edition_date__range=(window.since, window.until))
        .values("edition_date")
        .annotate(total=Count("id"), empty=Count("id", filter=~has_items))
        .order_by()
    )
    by_day = {row["edition_date"]: (row["total"], row["empty"]) for row in rows}
    totals = [by_day.get(day, (0, 0))[0] for day in window.dates]
    empties = [by_day.get(day, (0, 0))[1] for day in window.dates]
    return {
        "digests": totals,
        "empty": empties,
        "percent": [round(100 * e / t, 1) if t else 0.0 for t, e in zip(totals, empties, strict=True)],
    }


def score_histogram(window: Window) -> list[tuple[str, int]]:
    """Scores of the papers picked for readers' profiles, in buckets 1/SCORE_BINS_PER_UNIT wide.

    "Trending today" items are left out: they are picked for upvotes, not scored
    against the profile, and their stored 0 would pile up in the lowest bucket.
    """
    rows = (
        DigestItem.objects.filter(digest__edition_date__range=(window.since, window.until), trending=False)
        .annotate(bucket=Floor(F("score") * SCORE_BINS_PER_UNIT))
        .values_list("bucket")
        .annotate(n=Count("id"))
        .order_by("bucket")
    )
    counts = {int(bucket): n for bucket, n in rows}
    if not counts:
        return []
    # Every bucket between the lowest and highest, so gaps show as gaps.
    width = 1 / SCORE_BINS_PER_UNIT
    return [(f"{b * width:.1f}", counts.get(b, 0)) for b in range(min(counts), max(counts) + 1)]


def top_papers(edition_date: date, *, limit: int = TOP_PAPERS) -> list[dict]:
    """The papers in the most digests of one edition: id, title, link, digests."""
    rows = (
        Paper.objects.filter(digest_items__digest__edition_date=edition_date)
        .annotate(digests=Count("digest_items"))
        .order_by("-digests", "id")[:limit]
    )
    return [{"id": p.id, "title": p.title, "link": p.link, "digests": p.digests} for p in rows]


def latest_edition_date(until: date) -> date | None:
    return Digest.objects.filter(edition_date__lte=until).aggregate(d=Max("edition_date"))["d"]


# --- Ingest and feedback -----------------------------------------------------


def ingest_per_source(window: Window) -> list[dict]:
    """Per source over the window: runs, failed runs, records fetched/created/updated/failed."""
    return list(
        IngestRun.objects.filter(started_at__date__range=(window.since, window.until))
        .values("source")
        .annotate(
            runs=Count("id"),
            failed_runs=Count("id", filter=Q(status=IngestRun.Status.FAILED)),
            fetched=Sum("fetched"),
            created=Sum("created"),
            updated=Sum("updated"),
            failed=Sum("failed"),
            last_started=Max("started_at"),
        )
        .order_by("source")
    )


def papers_created_per_day_by_source(window: Window) -> dict[str, list[int]]:
    rows = (
        IngestRun.objects.filter(started_at__date__range=(window.since, window.until))
        .annotate(day=TruncDate("started_at"))
        .values_list("day", "source")
        .annotate(n=Sum("created"))
        .order_by()
    )
    by_source: dict[str, dict[date, int]] = defaultdict(dict)
    for day, source, n in rows:
        by_source[source][day] = n
    return {source: [days.get(d, 0) for d in window.dates] for source, days in sorted(by_source.items())}


def feedback_per_day(window: Window) -> dict[str, list[int]]:
    rows = (
        Feedback.objects.filter(created_at__date__range=(window.since, window.until))
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(
            more=Count("id", filter=Q(signal=Feedback.Signal.MORE)),
            less=Count("id", filter=Q(signal=Feedback.Signal.LESS)),
        )
        .order_by()
    )
    by_day = {row["day"]: row for row in rows}
    return {name: [by_day[d][name] if d in by_day else 0 for d in window.dates] for name in ("more", "less")}


# --- Daily runs --------------------------------------------------------------


@dataclass(frozen=True)
class Banner:
    level: str  # ok, info, warning, error: the CSS class
    title: str
    detail: str
    # Every current problem, worst first; the banner itself shows the worst.
    problems: tuple["Banner", ...] = ()


LEVELS = ("ok", "info", "warning", "error")
# A daily source with no successful ingest for this long has gone stale (beat ingests every 3 h).
INGEST_STALE = timedelta(hours=12)
# A digest still pending this long after it was built is stuck: retries take under 20 minutes.
DIGEST_STUCK = timedelta(hours=1)
# Failed runs and ingests, and late slots, count as current for this long.
RECENT = timedelta(hours=24)


def status_banner(now: datetime) -> Banner:
    """The worst current state, not only the latest run: failed or stale ingests, stuck digests,
    failed runs, send slots that did not run or ran late, then how today's run went."""
    problems = [*_ingest_problems(now), *_digest_problems(now), *_run_problems(now), *_slot_problems(now)]
    today = run_banner(timezone.localdate(now))
    if today.level == "warning":  # no papers today; a failed run is already among the problems
        problems.append(today)
    if not problems:
        return today
    problems.sort(key=lambda problem: -LEVELS.index(problem.level))
    worst = problems[0]
    return Banner(worst.level, worst.title, worst.detail, tuple(problems))


def _ingest_problems(now: datetime) -> list[Banner]:
    problems = []
    for run in ingest_runs_latest_per_source():
        if run.status == IngestRun.Status.FAILED and run.started_at >= now - RECENT:
            error = run.errors[0] if run.errors else "no error recorded"
            problems.append(
                Banner(
                    "error", f"Ingest of {run.source} failed", f"{run.started_at:%Y-%m-%d %H:%M} UTC: {error}"
                )
            )
    # Staleness only means something once beat runs (a recorded slot): not in a laptop demo.
    if ScheduleSlot.objects.exists():
        for source in settings.SOURCES_DAILY:
            last = (
                IngestRun.objects.filter(source=source, status=IngestRun.Status.SUCCEEDED)
                .order_by("-started_at")
                .values_list("started_at", flat=True)
                .first()
            )
            if last is None or last < now - INGEST_STALE:
                since = f"since {last:%Y-%m-%d %H:%M} UTC" if last else "ever"
                problems.append(
                    Banner("warning", f"No new ingest of {source}", f"No successful ingest {since}.")
                )
    return problems


def _digest_problems(now: datetime) -> list[Banner]:
    abandoned = now - timedelta(seconds=settings.DIGEST_CLAIM_TIMEOUT)
    stuck = Digest.objects.filter(
        Q(status=Digest.Status.SENDING, claimed_at__lt=abandoned)
        | Q(status=Digest.Status.PENDING, created_at__lt=now - DIGEST_STUCK)
    )
    retrying = Digest.objects.filter(
        status=Digest.Status.PENDING, created_at__gte=now - DIGEST_STUCK
    ).exclude(last_error="")
    problems = []
    for query, level, title in (
        (stuck, "error", "Digests stuck in flight"),
        (retrying, "warning", "Digests retrying"),
    ):
        count = query.count()
        if count:
            oldest = query.order_by("created_at").values("created_at", "last_error").first()
            problems.append(
                Banner(
                    level,
                    title,
                    f"{count} digests, the oldest built {oldest['created_at']:%Y-%m-%d %H:%M} UTC"
                    + (f": {oldest['last_error'][:200]}" if oldest["last_error"] else "."),
                )
            )
    return problems


def _run_problems(now: datetime) -> list[Banner]:
    failed = DailyRun.objects.filter(status=DailyRun.Status.FAILED, started_at__gte=now - RECENT)
    if not (count := failed.count()):
        return []
    latest = failed.order_by("-started_at").first()
    return [
        Banner(
            "error",
            "The run failed" if count == 1 else f"{count} runs failed",
            f"{latest.edition_date} ({latest.slot}): {latest.error or 'no error recorded'}",
        )
    ]


def _slot_problems(now: datetime) -> list[Banner]:
    problems = []
    current = now.replace(minute=0, second=0, microsecond=0)
    last = ScheduleSlot.objects.order_by("-at").values_list("at", flat=True).first()
    # Beat runs each slot at the top of the hour; give it until the next to be sure one was missed.
    if last is not None and last < current - timedelta(hours=1):
        problems.append(
            Banner(
                "warning",
                "Send slots missed",
                f"No slot has run since {last:%Y-%m-%d %H:%M} UTC; is beat running? Missed slots are "
                f"sent late when it is back (up to {settings.DIGEST_CATCH_UP_HOURS} h).",
            )
        )
    late = [
        run
        for run in DailyRun.objects.filter(scheduled_for__isnull=False, started_at__gte=now - RECENT)
        .exclude(scheduled_for__gt=F("started_at") - LATE_AFTER)
        .order_by("scheduled_for")
    ]
    if late:
        slots = ", ".join(f"{run.scheduled_for:%H:%M}" for run in late[:6])
        problems.append(
            Banner(
                "warning",
                "Sent late",
                f"Slots run late after an outage (UTC {slots}), the last at {late[-1].started_at:%H:%M}.",
            )
        )
    return problems


def run_banner(edition_date: date) -> Banner:
    """Tell "no papers today" from "the run failed" from "still running" for one edition."""
    runs = DailyRun.objects.filter(edition_date=edition_date).aggregate(
        total=Count("id"),
        running=Count("id", filter=Q(status=DailyRun.Status.RUNNING)),
        failed=Count("id", filter=Q(status=DailyRun.Status.FAILED)),
        papers=Max("papers"),
        built=Sum("digests_built"),
    )
    if not runs["total"]:
        return Banner("info", "No run yet", f"No daily run has started for {edition_date}.")
    if runs["failed"]:
        error = (
            DailyRun.objects.filter(edition_date=edition_date, status=DailyRun.Status.FAILED)
            .values_list("error", flat=True)
            .first()
        )
        return Banner("error", "The run failed", error or "No error message was recorded.")
    if runs["running"]:
        return Banner("info", "Running", f"The daily run for {edition_date} is in progress.")
    if not runs["papers"]:
        return Banner(
            "warning", "No papers today", f"The run for {edition_date} succeeded but found no new papers."
        )
    return Banner(
        "ok",
        "Run succeeded",
        f"{runs['papers']} new papers, {runs['built']} digests built for {edition_date}.",
    )


def daily_runs_recent(limit: int = RECENT_DAILY_RUNS) -> list[DailyRun]:
    return _with_duration(DailyRun.objects.order_by("-started_at", "-id")[:limit])


def ingest_runs_latest_per_source() -> list[IngestRun]:
    latest_ids = IngestRun.objects.values("source").annotate(last=Max("id")).values("last")
    return _with_duration(IngestRun.objects.filter(id__in=latest_ids).order_by("source"))


def ingest_runs_recent(limit: int = RECENT_INGEST_RUNS) -> list[IngestRun]:
    return _with_duration(IngestRun.objects.order_by("-started_at", "-id")[:limit])


def _with_duration(runs) -> list:
    """Attach `duration` ("1m 05s", "" while running) to a short page of run rows."""
    runs = list(runs)
    for run in runs:
        run.duration = format_duration(run.finished_at - run.started_at) if run.finished_at else ""
    return runs


def format_duration(delta: timedelta) -> str:
    seconds = max(int(delta.total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {seconds:02d}s"
    return f"{seconds}s"


# --- The dashboard page ------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    window: Window
    status_counts: dict[str, int]
    edition_date: date | None
    banner: Banner
    charts: list[Chart]
    ingest_sources: list[dict]
    top_papers: list[dict]
    digests_today: dict[str, int]
    table_sizes: list[TableSize]


def dashboard_overview(window: Window) -> Overview:
    labels = window.labels
    subs = subscribers_over_time(window)
    digests = digests_per_day(window)
    empty = empty_digest_share(window)
    feedback = feedback_per_day(window)
    created = papers_created_per_day_by_source(window)
    edition = latest_edition_date(window.until)
    charts = [
        line_chart("Subscribers over time", labels, [Series(k, v) for k, v in subs.items()]),
        stacked_bar_chart("Digests per edition date", labels, [Series(k, v) for k, v in digests.items()]),
        bar_chart("Scores of picked papers", score_histogram(window), series_name="papers"),
        line_chart("Empty digests (% of digests)", labels, [Series("empty %", empty["percent"])]),
        stacked_bar_chart(
            "Papers created by ingest, per source", labels, [Series(k, v) for k, v in created.items()]
        ),
        stacked_bar_chart("Feedback per day", labels, [Series(k, v) for k, v in feedback.items()]),
    ]
    return Overview(
        window=window,
        status_counts=subscribers_by_status(),
        edition_date=edition,
        banner=status_banner(timezone.now()),
        charts=charts,
        ingest_sources=ingest_per_source(window),
        top_papers=top_papers(edition) if edition else [],
        digests_today={name: values[-1] for name, values in digests.items()},
        table_sizes=table_sizes(),
    )

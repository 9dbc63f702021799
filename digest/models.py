"""Papers, their embeddings, and the digests built from them.

The Digest row is the outbox: one per subscriber per edition date (a database
constraint), and its status moves pending -> sending -> sent/failed, or skipped.
"""

from datetime import timedelta

import numpy as np
from django.db import models
from django.db.models import Q

from core.weblinks import safe_url


class Paper(models.Model):
    # Stable identity across sources: the bare arXiv id (no version) when there
    # is one, else "<source>:<id or title hash>".
    external_id = models.CharField(max_length=200, unique=True)
    # NULL, not "", for papers without one, so the partial unique index skips them.
    arxiv_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    # Lower-cased alphanumeric title: the guard that merges a title-only record
    # (a Daily Papers page) with the same paper met later with its arXiv id.
    title_key = models.CharField(max_length=300, db_index=True)
    title = models.TextField()
    abstract = models.TextField(blank=True)
    authors = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True)
    primary_category = models.CharField(max_length=40, blank=True)
    url = models.URLField(max_length=500, blank=True)
    pdf_url = models.URLField(max_length=500, blank=True)
    version = models.PositiveSmallIntegerField(null=True, blank=True)
    # arXiv's date of the first version.
    published_on = models.DateField(null=True, blank=True)
    # The day the paper was first announced or featured: what "new today" means.
    announced_on = models.DateField(db_index=True)
    source = models.CharField(max_length=40)
    sources = models.JSONField(default=list, blank=True)
    upvotes = models.PositiveIntegerField(null=True, blank=True)
    num_comments = models.PositiveIntegerField(null=True, blank=True)
    extra = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["arxiv_id"], condition=Q(arxiv_id__isnull=False), name="paper_arxiv_id_unique"
            ),
            models.CheckConstraint(condition=~Q(title=""), name="paper_title_not_empty"),
            models.CheckConstraint(condition=~Q(external_id=""), name="paper_external_id_not_empty"),
        ]
        indexes = [models.Index(fields=["announced_on", "id"])]

    def __str__(self):
        return self.title[:80]

    @property
    def link(self) -> str:
        """Where the paper's title links to: never anything but http(s), whatever a row holds."""
        if safe_url(self.url):
            return self.url
        if self.arxiv_id:
            return f"https://arxiv.org/abs/{self.arxiv_id}"
        return ""


class PaperEmbedding(models.Model):
    """A paper's vector for one model; a model change re-embeds, never mixes."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="embeddings")
    model_name = models.CharField(max_length=200)
    dim = models.PositiveSmallIntegerField()
    # float32, L2-normalised, little-endian.
    vector = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["paper", "model_name"], name="embedding_one_per_model"),
            models.CheckConstraint(condition=Q(dim__gt=0), name="embedding_dim_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.model_name} vector of paper {self.paper_id}"

    def as_array(self) -> np.ndarray:
        return np.frombuffer(bytes(self.vector), dtype="<f4")


class RunStatus(models.TextChoices):
    """The life of a job run, shared by ingest runs and daily runs (the dashboard reads both alike)."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class JobRun(models.Model):
    """What an ingest run and a daily run share: one status, and when it started and ended."""

    Status = RunStatus

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-started_at"]


class IngestRun(JobRun):
    source = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)
    fetched = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)

    def __str__(self):
        return f"{self.source} {self.started_at:%Y-%m-%d %H:%M} {self.status}"


# A slot's run normally starts within seconds of the hour; an hour later is a missed slot
# caught up (digest.schedule).
LATE_AFTER = timedelta(hours=1)


class DailyRun(JobRun):
    """One pass of the daily job for an edition date (and send slot), for the status page."""

    edition_date = models.DateField()
    slot = models.CharField(max_length=40, blank=True, help_text="Send slot (UTC hour) or 'all'.")
    papers = models.PositiveIntegerField(default=0)
    subscribers = models.PositiveIntegerField(default=0)
    digests_built = models.PositiveIntegerField(default=0)
    digests_skipped = models.PositiveIntegerField(default=0)
    # Chunks fan out to workers; the one that finishes last closes the run.
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # The UTC hour whose send slot this run serves (none for manual runs); a run that
    # started an hour or more after it was caught up after an outage: it went out late.
    scheduled_for = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.edition_date} {self.slot} {self.status}"

    @property
    def late(self) -> bool:
        return self.scheduled_for is not None and self.started_at - self.scheduled_for >= LATE_AFTER


class ScheduleSlot(models.Model):
    """A UTC hour whose send slot has been run: where catching up after an outage starts."""

    at = models.DateTimeField(unique=True)
    ran_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} UTC"


class EmptyReason(models.TextChoices):
    """Why a reader's digest for a day has no papers."""

    NO_NEW_PAPERS = "no_new_papers", "No new papers were announced"
    NO_INTERESTS = "no_interests", "No interests to match"
    BELOW_THRESHOLD = "below_threshold", "Nothing scored above the reader's threshold"
    ALL_SENT = "all_sent", "Every match was sent before (or rated)"
    ALL_EXCLUDED = "all_excluded", "Every match hit an exclusion"


class Digest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"  # built, waiting to be sent
        SENDING = "sending", "Sending"  # claimed by a sender
        SENT = "sent", "Sent"  # the mail server accepted it
        FAILED = "failed", "Failed"  # permanent failure, or retries exhausted
        SKIPPED = "skipped", "Skipped"  # nothing worth sending today

    subscriber = models.ForeignKey(
        "subscriptions.Subscriber", on_delete=models.CASCADE, related_name="digests"
    )
    edition_date = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    message_id = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # After a temporary failure: the sweep leaves the digest alone until then, so
    # the doubling wait of the send task's retries holds for the sweep too.
    retry_after = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Why a digest has no papers (skipped, or the "nothing new" note): digest/skip_reasons.py.
    empty_reason = models.CharField(max_length=20, choices=EmptyReason.choices, blank=True)
    empty_detail = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "edition_date"], name="digest_one_per_subscriber_per_day"
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="digest_sent_has_sent_at"
            ),
        ]
        indexes = [models.Index(fields=["edition_date", "status"])]

    def __str__(self):
        return f"{self.subscriber_id} {self.edition_date} {self.status}"


class DigestItem(models.Model):
    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="items")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="digest_items")
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    # The facet or seed paper that matched, shown as "why you got this".
    why = models.CharField(max_length=300, blank=True)
    # In the "Trending today" section: picked for its upvotes, not for the profile.
    trending = models.BooleanField(default=False)

    class Meta:
        ordering = ["digest", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["digest", "paper"], name="digest_item_paper_once"),
            models.UniqueConstraint(fields=["digest", "rank"], name="digest_item_rank_once"),
        ]

    def __str__(self):
        return f"#{self.rank} {self.paper_id} ({self.score:.3f})"

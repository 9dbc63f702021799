"""The demo: sample papers in, a few subscribers with different interests, today's digests out."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from digest.data import SAMPLE_CORPUS
from digest.ingest import ingest_source
from digest.management.cli import QuietCommand
from digest.models import Digest, IngestRun
from digest.pipeline import daily_run_start
from subscriptions.models import Subscriber, TopicProfile

DEMO_SUBSCRIBERS = [
    (
        "ada@example.org",
        "Dense retrieval and neural ranking for search engines\n"
        "Learned sparse representations for retrieval (SPLADE-style)\n"
        "Sentence embeddings",
        "",
    ),
    (
        "ben@example.org",
        "Machine learning for computational fluid dynamics; neural PDE solvers; physics-informed networks",
        "",
    ),
    (
        "chloe@example.org",
        "Deep learning for medical imaging: MRI, CT and digital pathology",
        "",
    ),
    (
        "dan@example.org",
        "- pruning and sparsity in neural networks\n- quantization and efficient inference\n- knowledge distillation",
        "not computer vision",
    ),
    (
        "eve@example.org",
        "Offline reinforcement learning, benchmarks for RL, model-based RL",
        "",
    ),
]


class Command(QuietCommand):
    help = (
        "Load the sample papers, create demo subscribers and run today's digests into the outbox. "
        "Safe to re-run: a second run the same day sends nothing and says so."
    )

    def handle(self, *args, **options):
        today = timezone.now().date()
        # Through the ingest service, so the load is an IngestRun like any other and shows
        # on the dashboard ("Papers created by ingest").
        ingest = ingest_source("file", path=SAMPLE_CORPUS, day=today)
        if ingest.status == IngestRun.Status.FAILED:
            raise CommandError(f"could not load the sample papers: {ingest.errors[0]}")
        self.stdout.write(
            f"Sample papers: {ingest.fetched} read, {ingest.created} new, {ingest.updated} updated, "
            f"{ingest.unchanged} unchanged, {ingest.failed} failed."
        )
        with transaction.atomic():
            for email, interests, exclusions in DEMO_SUBSCRIBERS:
                subscriber, _ = Subscriber.objects.get_or_create(
                    email=email, defaults={"status": Subscriber.Status.ACTIVE, "confirmed_at": timezone.now()}
                )
                TopicProfile.objects.update_or_create(
                    subscriber=subscriber, defaults={"interests": interests, "exclusions": exclusions}
                )
        self.embed_new_papers()
        started = timezone.now()
        self.send_left_over()
        emails = [s[0] for s in DEMO_SUBSCRIBERS]
        self.step(f"Scoring {len(emails)} demo subscribers against today's papers and sending...")
        run = daily_run_start(
            edition_date=today,
            subscriber_ids=list(
                Subscriber.objects.filter(email__in=emails).order_by("pk").values_list("pk", flat=True)
            ),
        )
        self.stdout.write(f"Daily run {run.pk} for {today}: {run.papers} candidate papers.")
        sent_now = already_sent = 0
        for digest in (
            Digest.objects.filter(edition_date=today, subscriber__email__in=emails)
            .select_related("subscriber")
            .prefetch_related("items__paper")
            .order_by("subscriber__email")
        ):
            items = digest.items.all()
            titles = "; ".join(item.paper.title[:48] for item in items)
            if digest.status == Digest.Status.SENT and digest.sent_at < started:
                already_sent += 1
                what = f"already sent at {digest.sent_at:%H:%M} UTC, not sent again"
            elif digest.status == Digest.Status.SENT:
                sent_now += 1
                what = f"sent {len(items)} papers: {titles}"
            elif digest.status == Digest.Status.SKIPPED:
                what = f"skipped: {digest.get_empty_reason_display() or 'nothing to send'}"
            else:
                what = f"{digest.status}: {digest.last_error[:120] or 'waiting to be sent'}"
            self.stdout.write(f"  {digest.subscriber.email:<20} {what}")
        if not sent_now:
            self.stdout.write(
                "Nothing was sent this time"
                + (
                    f" ({already_sent} digests went out earlier today; none is sent twice)."
                    if already_sent
                    else "."
                )
            )
        outbox = Path(settings.EMAIL_OUTBOX_DIR) / "index.html"
        if settings.EMAIL_BACKEND == "core.file_backend.FileEmailBackend":
            self.stdout.write(f"Open the emails: {outbox}")

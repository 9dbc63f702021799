"""The demo: sample papers in, a few subscribers with different interests, today's digests out."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from digest.data import SAMPLE_CORPUS
from digest.ingest import records_upsert
from digest.models import Digest
from digest.pipeline import daily_run_start
from digest.sources.jsonfile import parse_json_papers
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


class Command(BaseCommand):
    help = "Load the sample papers, create demo subscribers and run today's digests into the outbox."

    def handle(self, *args, **options):
        today = timezone.now().date()
        records, errors = parse_json_papers(SAMPLE_CORPUS.read_bytes(), announced_on=today)
        counts = records_upsert(records)
        self.stdout.write(
            f"Sample papers: {len(records)} read, {counts.created} new, {counts.updated} updated, "
            f"{counts.unchanged} unchanged, {counts.failed + len(errors)} failed."
        )
        with transaction.atomic():
            for email, interests, exclusions in DEMO_SUBSCRIBERS:
                subscriber, _ = Subscriber.objects.get_or_create(
                    email=email, defaults={"status": Subscriber.Status.ACTIVE, "confirmed_at": timezone.now()}
                )
                TopicProfile.objects.update_or_create(
                    subscriber=subscriber, defaults={"interests": interests, "exclusions": exclusions}
                )
        run = daily_run_start(
            edition_date=today,
            subscriber_ids=list(
                Subscriber.objects.filter(email__in=[s[0] for s in DEMO_SUBSCRIBERS])
                .order_by("pk")
                .values_list("pk", flat=True)
            ),
        )
        self.stdout.write(f"Daily run {run.pk} for {today}: {run.papers} candidate papers.")
        for digest in (
            Digest.objects.filter(edition_date=today, subscriber__email__in=[s[0] for s in DEMO_SUBSCRIBERS])
            .select_related("subscriber")
            .prefetch_related("items__paper")
            .order_by("subscriber__email")
        ):
            titles = "; ".join(item.paper.title[:48] for item in digest.items.all())
            self.stdout.write(
                f"  {digest.subscriber.email:<20} {digest.status:<8} {digest.items.count()} papers: {titles}"
            )
        outbox = Path(settings.EMAIL_OUTBOX_DIR) / "index.html"
        if settings.EMAIL_BACKEND == "core.file_backend.FileEmailBackend":
            self.stdout.write(f"Open the emails: {outbox}")

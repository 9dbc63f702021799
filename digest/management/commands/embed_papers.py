from django.core.management.base import BaseCommand
from tqdm import tqdm

from digest.embedding import model_name, papers_embed
from digest.models import Paper


class Command(BaseCommand):
    help = "Embed papers that have no vector for the configured model. Safe to re-run."

    def handle(self, *args, **options):
        with tqdm(total=Paper.objects.count(), desc="embedding", unit="paper", disable=None) as bar:
            done = papers_embed(progress=bar.update)
        self.stdout.write(f"Embedded {done} papers with {model_name()}.")

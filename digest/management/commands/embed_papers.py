from digest.embedding import model_name
from digest.management.cli import QuietCommand


class Command(QuietCommand):
    help = "Embed papers that have no vector for the configured model. Safe to re-run."

    def handle(self, *args, **options):
        done = self.embed_new_papers()
        self.stdout.write(f"Embedded {done} papers with {model_name()}.")

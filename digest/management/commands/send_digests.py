from datetime import date

from django.core.management.base import BaseCommand
from tqdm import tqdm

from digest.delivery import digest_ids_to_send, digests_send
from digest.pipeline import chunked
from django.conf import settings


class Command(BaseCommand):
    help = "Send pending digests (and ones abandoned mid-send) now, in chunks. Safe to re-run."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, default=None, help="Only this edition date.")
        parser.add_argument("--dry-run", action="store_true", help="List what would be sent; send nothing.")

    def handle(self, *args, date=None, dry_run=False, **options):
        ids = digest_ids_to_send(edition_date=date)
        if dry_run:
            self.stdout.write(f"{len(ids)} digests would be sent.")
            return
        totals = {"sent": 0, "failed": 0, "retry": 0, "skipped": 0}
        with tqdm(total=len(ids), desc="sending", unit="digest", disable=None) as bar:
            for chunk in chunked(ids, settings.DIGEST_SEND_CHUNK_SIZE):
                result = digests_send(digest_ids=chunk)
                for key in totals:
                    totals[key] += len(getattr(result, key))
                bar.update(len(chunk))
        self.stdout.write(", ".join(f"{n} {key}" for key, n in totals.items()))

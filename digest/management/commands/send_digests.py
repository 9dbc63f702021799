import time

from django.conf import settings

from core.chunks import chunked
from digest.delivery import digest_ids_to_send, digests_send
from digest.management.cli import QuietCommand, day_argument
from digest.models import Digest


class Command(QuietCommand):
    help = "Send pending digests (and ones abandoned mid-send) now, in chunks. Safe to re-run."

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", type=day_argument, default=None, help="Only this edition date (YYYY-MM-DD)."
        )
        parser.add_argument("--dry-run", action="store_true", help="List what would be sent; send nothing.")

    def handle(self, *args, date=None, dry_run=False, **options):
        ids = digest_ids_to_send(edition_date=date)
        if dry_run:
            self.stdout.write(f"{len(ids)} digests would be sent.")
            rows = Digest.objects.filter(pk__in=ids).order_by("edition_date", "pk")
            for edition_date, email in rows.values_list("edition_date", "subscriber__email"):
                self.stdout.write(f"  {edition_date}  {email}")
            return
        started = time.monotonic()
        totals = {"sent": [], "failed": [], "retry": [], "skipped": []}
        with self.progress_bar(total=len(ids), desc="Sending", unit="digest") as bar:
            for chunk in chunked(ids, settings.DIGEST_SEND_CHUNK_SIZE):
                result = digests_send(digest_ids=chunk)
                for key, done in totals.items():
                    done.extend(getattr(result, key))
                bar.update(len(chunk))
                bar.set_postfix(sent=len(totals["sent"]), failed=len(totals["failed"]), refresh=False)
        self.stdout.write(
            f"{len(totals['sent'])} sent, {len(totals['failed'])} failed, "
            f"{len(totals['retry'])} deferred by temporary errors (tried again once their wait is over), "
            f"{len(totals['skipped'])} skipped (already sent or claimed), in {time.monotonic() - started:.1f} s."
        )
        failed = Digest.objects.filter(pk__in=totals["failed"]).order_by("pk")
        for email, error in failed.values_list("subscriber__email", "last_error"):
            self.stdout.write(f"  failed: {email}: {error[:200]}")

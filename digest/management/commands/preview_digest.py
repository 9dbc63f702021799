from pathlib import Path

from django.core.management.base import CommandError
from django.utils import timezone

from digest.management.cli import QuietCommand, day_argument
from digest.render import digest_preview_message
from subscriptions.addresses import address_key
from subscriptions.models import Subscriber


class Command(QuietCommand):
    help = "Render a subscriber's digest for a date (default: today) without sending it: headers and text, or the HTML."

    def add_arguments(self, parser):
        parser.add_argument("email", help="The subscriber's address.")
        parser.add_argument("--date", type=day_argument, default=None, help="Edition date, YYYY-MM-DD.")
        parser.add_argument(
            "--html",
            metavar="PATH",
            help="Also write the HTML part to PATH ('-' prints it instead of the text).",
        )

    def handle(self, *args, email, date=None, html=None, **options):
        subscriber = Subscriber.objects.filter(email=address_key(email)).first()
        if subscriber is None:
            raise CommandError(f"No subscriber with the address {email!r}.")
        message = digest_preview_message(subscriber=subscriber, edition_date=date or timezone.now().date())
        html_body = next(body for body, mime in message.alternatives if mime == "text/html")
        if html == "-":
            self.stdout.write(html_body)
            return
        headers = {"From": message.from_email, "To": ", ".join(message.to), "Subject": message.subject}
        headers.update(
            (name, message.extra_headers[name])
            for name in ("List-Unsubscribe", "List-Unsubscribe-Post", "List-Id")
        )
        for name, value in headers.items():
            self.stdout.write(f"{name}: {value}")
        self.stdout.write("")
        self.stdout.write(message.body)
        if html:
            Path(html).write_text(html_body, encoding="utf-8")
            self.stderr.write(f"HTML written to {html} ({len(html_body.encode()) / 1024:.1f} KB).")

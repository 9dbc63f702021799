"""Store every address in its canonical form and merge look-alike duplicates.

Before subscriptions.addresses, `ben@ｅｘａｍｐｌｅ.org`, `"ben"@example.org` and
`ben@example.org` were three subscribers of one mailbox. Each group becomes the
oldest confirmed row (else the oldest row), keeping that row's settings and
history and taking over the others' digests, feedback, pending requests and
consents where it has none of its own for the same day or paper. A bounce or
an unsubscribe on any of them holds for the merged row: a complaint for the
mailbox must stop its mail.
"""

from collections import defaultdict

from django.db import migrations

from subscriptions.addresses import address_key

STOPPED = ("bounced", "unsubscribed")


def _survivor(rows):
    confirmed = [row for row in rows if row.confirmed_at is not None]
    return min(confirmed or rows, key=lambda row: (row.created_at, row.pk))


def merge(apps, schema_editor):
    Subscriber = apps.get_model("subscriptions", "Subscriber")
    TopicProfile = apps.get_model("subscriptions", "TopicProfile")
    Feedback = apps.get_model("subscriptions", "Feedback")
    PendingChange = apps.get_model("subscriptions", "PendingChange")
    ConsentRecord = apps.get_model("subscriptions", "ConsentRecord")
    Digest = apps.get_model("digest", "Digest")

    groups = defaultdict(list)
    for row in Subscriber.objects.order_by("pk"):
        groups[address_key(row.email)].append(row)
    for key, rows in groups.items():
        survivor = _survivor(rows)
        for row in rows:
            if row.pk == survivor.pk:
                continue
            taken_days = set(Digest.objects.filter(subscriber=survivor).values_list("edition_date", flat=True))
            Digest.objects.filter(subscriber=row).exclude(edition_date__in=taken_days).update(subscriber=survivor)
            taken_papers = set(Feedback.objects.filter(subscriber=survivor).values_list("paper_id", flat=True))
            Feedback.objects.filter(subscriber=row).exclude(paper_id__in=taken_papers).update(subscriber=survivor)
            PendingChange.objects.filter(subscriber=row).update(subscriber=survivor)
            ConsentRecord.objects.filter(subscriber=row).update(subscriber=survivor)
            if not TopicProfile.objects.filter(subscriber=survivor).exists():
                TopicProfile.objects.filter(subscriber=row).update(subscriber=survivor)
        statuses = {row.status for row in rows}
        changes = {"email": key, "bounce_count": max(row.bounce_count for row in rows)}
        if survivor.status not in STOPPED:
            for stopped in STOPPED:
                if stopped in statuses:
                    changes["status"] = stopped
                    break
        if changes.get("status") == "unsubscribed":
            changes["unsubscribed_at"] = max(
                (row.unsubscribed_at for row in rows if row.unsubscribed_at is not None), default=None
            )
        Subscriber.objects.filter(pk__in=[row.pk for row in rows if row.pk != survivor.pk]).delete()
        Subscriber.objects.filter(pk=survivor.pk).update(**changes)


class Migration(migrations.Migration):
    dependencies = [
        ("digest", "0004_digest_retry_after"),
        ("subscriptions", "0005_consent_links_confirmation_interval"),
    ]

    operations = [migrations.RunPython(merge, migrations.RunPython.noop)]

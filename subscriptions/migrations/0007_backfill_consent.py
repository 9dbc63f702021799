"""A consent record for every reader who confirmed before consent records existed.

Their sign-up time and confirmation time are known (created_at, confirmed_at);
the client addresses were never stored, so they stay empty, and the form
names the gap so an export does not claim more than we know.
"""

from django.db import migrations

FORM = "signup (before consent records)"


def backfill(apps, schema_editor):
    Subscriber = apps.get_model("subscriptions", "Subscriber")
    ConsentRecord = apps.get_model("subscriptions", "ConsentRecord")
    ConsentRecord.objects.bulk_create(
        [
            ConsentRecord(
                subscriber_id=subscriber.pk,
                form=FORM,
                requested_at=subscriber.created_at,
                confirmed_at=subscriber.confirmed_at,
            )
            for subscriber in Subscriber.objects.filter(confirmed_at__isnull=False, consents__isnull=True)
        ],
        batch_size=1000,
    )


def forget(apps, schema_editor):
    apps.get_model("subscriptions", "ConsentRecord").objects.filter(form=FORM).delete()


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0006_canonical_addresses")]

    operations = [migrations.RunPython(backfill, forget)]

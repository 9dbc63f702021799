"""The Celery app. Tasks live in each app's tasks.py; the beat schedule is here."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("paper_digest")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Papers are announced once a day; ingest and embed them before the first
    # subscribers' morning slots.
    "ingest-daily-sources": {
        "task": "digest.tasks.ingest_daily",
        "schedule": crontab(minute=15, hour="*/3"),
    },
    # Each hour, digests go to the subscribers whose local send hour it is.
    "send-due-digests": {
        "task": "digest.tasks.run_due_slot",
        "schedule": crontab(minute=0),
    },
    # Digests left pending by a temporary failure, or abandoned by a dead worker.
    "sweep-unsent-digests": {
        "task": "digest.tasks.send_pending",
        "schedule": crontab(minute="*/10"),
    },
    # Confirm links expire after three days; their pending sign-ups are then useless.
    "purge-expired-sign-ups": {
        "task": "subscriptions.tasks.purge_expired_pending_changes",
        "schedule": crontab(minute=40, hour=3),
    },
    # Old runs, recorded slots and digests, as the RETENTION_* settings say.
    "purge-expired-records": {
        "task": "digest.tasks.purge_expired_records",
        "schedule": crontab(minute=50, hour=3),
    },
}

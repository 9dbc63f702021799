"""deploy/backup.sh and deploy/restore.sh, run for real against the dev PostgreSQL (DATABASE_URL)."""

import os
import subprocess
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.db import connection

from digest.models import Paper
from subscriptions.models import Subscriber
from tests.conftest import require_service
from tests.factories import PaperFactory, SubscriberFactory

DEPLOY = Path(settings.BASE_DIR) / "deploy"


def database_url(name: str) -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgresql://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def run(script: str, *args: str, url: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(DEPLOY / script), *args],
        env={**os.environ, "DATABASE_URL": url, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def scratch_database():
    """An empty database beside the test database, dropped afterwards."""
    require_service(connection.vendor == "postgresql", "DATABASE_URL is not PostgreSQL")
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(database_url("postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_an_empty_database(scratch_database, tmp_path):
    subscriber = SubscriberFactory(email="ada@example.org")
    PaperFactory.create_batch(3)
    backups = tmp_path / "backups"

    made = run("backup.sh", url=database_url(connection.settings_dict["NAME"]), BACKUP_DIR=str(backups))
    assert made.returncode == 0, made.stderr
    (dump,) = backups.glob("paperdigest-*.dump")
    assert not list(backups.glob(".*.partial"))

    restored = run("restore.sh", str(dump), url=database_url(scratch_database))
    assert restored.returncode == 0, restored.stderr
    with psycopg2.connect(database_url(scratch_database)) as copy, copy.cursor() as cursor:
        cursor.execute(f"SELECT email FROM {Subscriber._meta.db_table} WHERE id = %s", [subscriber.pk])
        assert cursor.fetchone() == ("ada@example.org",)
        cursor.execute(f"SELECT count(*) FROM {Paper._meta.db_table}")
        assert cursor.fetchone() == (3,)
        # The migration history comes along, so `migrate` on the restored database is a no-op.
        cursor.execute("SELECT count(*) FROM django_migrations")
        assert cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_old_backups_are_pruned_and_new_ones_kept(scratch_database, tmp_path):
    old = tmp_path / "paperdigest-20200101T023000Z.dump"
    old.write_bytes(b"old")
    os.utime(old, (0, 0))
    other = tmp_path / "notes.txt"
    other.write_text("not a backup")
    os.utime(other, (0, 0))

    made = run(
        "backup.sh", url=database_url(scratch_database), BACKUP_DIR=str(tmp_path), BACKUP_KEEP_DAYS="14"
    )

    assert made.returncode == 0, made.stderr
    assert not old.exists() and other.exists()
    assert len(list(tmp_path.glob("paperdigest-*.dump"))) == 1


def test_restore_refuses_without_a_backup_file(tmp_path):
    result = run("restore.sh", str(tmp_path / "missing.dump"), url="postgresql://nobody@127.0.0.1:1/none")
    assert result.returncode == 2 and "usage" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_a_failed_restore_changes_nothing(scratch_database, tmp_path):
    broken = tmp_path / "paperdigest-broken.dump"
    broken.write_bytes(b"PGDMP not really a dump")
    with psycopg2.connect(database_url(scratch_database)) as db, db.cursor() as cursor:
        cursor.execute("CREATE TABLE kept (id int)")

    result = run("restore.sh", str(broken), url=database_url(scratch_database))

    assert result.returncode != 0
    with psycopg2.connect(database_url(scratch_database)) as db, db.cursor() as cursor:
        cursor.execute("SELECT to_regclass('kept')")
        assert cursor.fetchone() == ("kept",)

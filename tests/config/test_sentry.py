"""config/sentry.py: error reporting is off by default and on, without personal data, with SENTRY_DSN."""

import json
import os
import subprocess
import sys

import sentry_sdk
from django.conf import settings

PROBE = """
import json, django, sentry_sdk
django.setup()
client = sentry_sdk.get_client()
print(json.dumps({
    "active": client.is_active(),
    "dsn": client.options.get("dsn"),
    "pii": client.options.get("send_default_pii"),
    "environment": client.options.get("environment"),
    "integrations": sorted(client.integrations),
}))
"""


def probe(**env: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_it_is_off_without_a_dsn():
    assert not settings.SENTRY_DSN and not sentry_sdk.get_client().is_active()
    assert probe(SENTRY_DSN="")["active"] is False


def test_a_dsn_turns_on_django_and_celery_reporting_without_personal_data():
    reported = probe(SENTRY_DSN="https://key@errors.example.org/7", SENTRY_ENVIRONMENT="staging")
    assert reported["active"] and reported["dsn"] == "https://key@errors.example.org/7"
    assert reported["pii"] is False and reported["environment"] == "staging"
    assert {"django", "celery"} <= set(reported["integrations"])

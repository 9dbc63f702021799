"""No Docker engine runs in CI, so check what can be checked of docker-compose.yml statically."""

import re
from pathlib import Path

import dj_database_url
import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ("web", "worker", "beat")


def test_it_defines_the_whole_stack():
    assert set(SERVICES) == {"postgres", "redis", "web", "worker", "beat", "mailpit"}


def test_it_builds_one_image_for_the_app_services():
    assert {SERVICES[name]["image"] for name in APP_SERVICES} == {"paper-digest:latest"}
    assert all(SERVICES[name]["build"] == "." for name in APP_SERVICES)
    assert (ROOT / "Dockerfile").exists()


@pytest.mark.parametrize("name", APP_SERVICES)
def test_it_wires_the_app_to_the_services_by_name(name):
    env = SERVICES[name]["environment"]
    database = dj_database_url.parse(env["DATABASE_URL"])
    assert database["HOST"] == "postgres" and database["ENGINE"].endswith("postgresql")
    postgres = SERVICES["postgres"]["environment"]
    assert (database["NAME"], database["USER"], database["PASSWORD"]) == (
        postgres["POSTGRES_DB"],
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
    )
    assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
    assert (
        env["EMAIL_HOST"] == "mailpit"
        and f"{env['EMAIL_PORT']}:{env['EMAIL_PORT']}" in SERVICES["mailpit"]["ports"]
    )
    assert {"postgres", "redis"} <= set(SERVICES[name]["depends_on"])


def test_every_app_variable_is_one_the_settings_read():
    read = set(re.findall(r'env_\w+\("([A-Z_]+)"', (ROOT / "config" / "settings.py").read_text()))
    for name in APP_SERVICES:
        assert set(SERVICES[name]["environment"]) <= read | {"HF_HUB_OFFLINE"}


def test_the_commands_point_at_real_entry_points():
    from config.celery import app

    assert app.main == "paper_digest"
    assert "celery -A config worker" in SERVICES["worker"]["command"]
    assert "celery -A config beat" in SERVICES["beat"]["command"]
    assert "config.wsgi:application" in SERVICES["web"]["command"] and "migrate" in SERVICES["web"]["command"]
    assert set(app.conf.beat_schedule) >= {"ingest-daily-sources", "send-due-digests", "sweep-unsent-digests"}
    for entry in app.conf.beat_schedule.values():
        module, _, task = entry["task"].rpartition(".")
        assert hasattr(__import__(module, fromlist=[task]), task), entry["task"]


def test_the_image_pins_torch_before_sentence_transformers():
    lines = [
        line.split("==")[0] for line in (ROOT / "requirements.txt").read_text().splitlines() if "==" in line
    ]
    assert lines.index("torch") < lines.index("sentence-transformers")

"""No Docker engine runs in CI, so check what can be checked of docker-compose.yml statically."""

import fnmatch
import re
import subprocess
import sys
from pathlib import Path

import dj_database_url
import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ("web", "worker", "beat")
LONG_RUNNING = ("postgres", "redis", "web", "worker", "beat", "backup", "mailpit", "caddy")


def interpolated(value: str) -> str:
    """What Compose makes of ${VAR:-default} with nothing set in the environment or .env."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def test_the_file_is_valid_against_the_compose_specification():
    # check-jsonschema ships the compose-spec schema (vendor.compose-spec); .ci/run runs the same check.
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("check-jsonschema")),
            "--builtin-schema",
            "vendor.compose-spec",
            str(ROOT / "docker-compose.yml"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_defines_the_whole_stack():
    assert set(SERVICES) == {
        "postgres",
        "redis",
        "migrate",
        "backup",
        "web",
        "worker",
        "beat",
        "mailpit",
        "caddy",
    }


def test_it_builds_one_image_for_the_app_services():
    assert {SERVICES[name]["image"] for name in (*APP_SERVICES, "migrate")} == {"paper-digest:latest"}
    assert all(SERVICES[name]["build"] == "." for name in (*APP_SERVICES, "migrate"))
    assert (ROOT / "Dockerfile").exists()


@pytest.mark.parametrize("name", (*APP_SERVICES, "migrate", "backup"))
def test_it_wires_the_app_to_the_database_by_name(name):
    env = SERVICES[name]["environment"]
    database = dj_database_url.parse(interpolated(env["DATABASE_URL"]))
    assert database["HOST"] == "postgres" and database["ENGINE"].endswith("postgresql")
    postgres = {key: interpolated(value) for key, value in SERVICES["postgres"]["environment"].items()}
    assert (database["NAME"], database["USER"], database["PASSWORD"]) == (
        postgres["POSTGRES_DB"],
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
    )


@pytest.mark.parametrize("name", APP_SERVICES)
def test_the_app_waits_for_its_services_and_for_migrations(name):
    assert SERVICES[name]["environment"]["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
    depends = SERVICES[name]["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends["redis"]["condition"] == "service_healthy"
    assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_only_the_one_shot_service_migrates():
    assert SERVICES["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert SERVICES["migrate"]["restart"] == "no"
    assert not any("migrate" in str(SERVICES[name]["command"]) for name in APP_SERVICES)


def test_compose_overrides_no_setting_an_operator_puts_in_env():
    """environment: beats env_file, so anything set there silently wins over .env (issue 18: EMAIL_HOST)."""
    compose_owned = {"PAPER_DIGEST_PRODUCTION", "DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"}
    for name in (*APP_SERVICES, "migrate"):
        env = SERVICES[name]["environment"]
        assert set(env) == compose_owned | {"DJANGO_SECRET_KEY"}
        # Required, with no default: the value is .env's own.
        assert env["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?")
        assert SERVICES[name]["env_file"] == [{"path": ".env", "required": False}]


def test_every_app_variable_is_one_the_settings_read():
    read = set(re.findall(r'env_\w+\("([A-Z_]+)"', (ROOT / "config" / "settings.py").read_text()))
    for name in APP_SERVICES:
        assert set(SERVICES[name]["environment"]) <= read


def test_mailpit_is_a_dev_tool_bound_to_this_machine():
    mailpit = SERVICES["mailpit"]
    assert mailpit["profiles"] == ["dev"]
    assert all(port.startswith("127.0.0.1:") for port in mailpit["ports"])


def test_only_the_proxy_faces_the_internet():
    assert SERVICES["caddy"]["profiles"] == ["proxy"]
    assert set(SERVICES["caddy"]["ports"]) == {"80:80", "443:443", "443:443/udp"}
    assert SERVICES["web"]["ports"] == ["127.0.0.1:8000:8000"]
    for name in set(SERVICES) - {"web", "caddy", "mailpit"}:
        assert "ports" not in SERVICES[name], name
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "reverse_proxy web:8000" in caddyfile and "{$SITE_DOMAIN" in caddyfile


def test_the_app_services_have_health_checks():
    assert SERVICES["web"]["healthcheck"]["test"] == ["CMD", "python", "deploy/healthcheck.py"]
    assert "inspect ping --destination celery@$$HOSTNAME" in SERVICES["worker"]["healthcheck"]["test"][1]
    # Beat answers pings only with remote control on, under the celerybeat@ node name.
    assert "--enable-remote-control" in SERVICES["beat"]["command"]
    assert "inspect ping --destination celerybeat@$$HOSTNAME" in SERVICES["beat"]["healthcheck"]["test"][1]
    assert SERVICES["caddy"]["depends_on"]["web"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_every_service_has_resource_limits(name):
    limits = SERVICES[name]["deploy"]["resources"]["limits"]
    assert float(limits["cpus"]) > 0 and re.fullmatch(r"\d+[mg]", limits["memory"])


def test_the_backup_runs_nightly_with_the_scripts_in_deploy():
    backup = SERVICES["backup"]
    assert backup["image"] == SERVICES["postgres"]["image"]
    assert backup["command"] == ["/deploy/backup-nightly.sh"]
    assert "./deploy:/deploy:ro" in backup["volumes"]
    for script in ("backup.sh", "restore.sh", "backup-nightly.sh"):
        assert (ROOT / "deploy" / script).stat().st_mode & 0o111, f"{script} is not executable"


def test_gunicorn_reads_its_config_file_with_a_timeout():
    assert SERVICES["web"]["command"] == [
        "gunicorn",
        "-c",
        "deploy/gunicorn.conf.py",
        "config.wsgi:application",
    ]
    assert (
        'CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi:application"]'
        in (ROOT / "Dockerfile").read_text()
    )
    config: dict = {}
    exec((ROOT / "deploy" / "gunicorn.conf.py").read_text(), config)
    assert config["timeout"] >= 30 and config["workers"] >= 1 and "%(M)s" in config["access_log_format"]


def test_the_image_leaves_out_local_state():
    """`COPY . .` must not take the venv, the git history, secrets or var/ (secret key, SQLite, outbox)."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        # Docker's rule: the last matching line wins; "!" re-includes.
        verdict = False
        for pattern in patterns:
            negated = pattern.startswith("!")
            if fnmatch.fnmatch(path, pattern.lstrip("!")) or path.startswith(pattern.lstrip("!") + "/"):
                verdict = not negated
        return verdict

    for path in (".venv", ".git", "var/secret_key", "var/paperdigest.sqlite3", ".env", "backups/x.dump"):
        assert ignored(path), path
    for path in (".env.example", "manage.py", "deploy/gunicorn.conf.py", "digest/data/sample_papers.jsonl"):
        assert not ignored(path), path


def test_the_readme_names_the_minimum_compose_version():
    assert "Compose v2.24.0 or later" in (ROOT / "README.md").read_text()
    assert "Compose v2.24.0 or later" in (ROOT / "docker-compose.yml").read_text()


def test_the_commands_point_at_real_entry_points():
    from config.celery import app

    assert app.main == "paper_digest"
    assert "celery -A config worker" in SERVICES["worker"]["command"]
    assert "celery -A config beat" in SERVICES["beat"]["command"]
    assert set(app.conf.beat_schedule) >= {"ingest-daily-sources", "send-due-digests", "sweep-unsent-digests"}
    for entry in app.conf.beat_schedule.values():
        module, _, task = entry["task"].rpartition(".")
        assert hasattr(__import__(module, fromlist=[task]), task), entry["task"]


def test_the_image_pins_torch_before_sentence_transformers():
    lines = [
        line.split("==")[0] for line in (ROOT / "requirements.txt").read_text().splitlines() if "==" in line
    ]
    assert lines.index("torch") < lines.index("sentence-transformers")


def test_the_readme_lists_every_beat_entry():
    from config.celery import app

    readme = (ROOT / "README.md").read_text()
    for name, entry in app.conf.beat_schedule.items():
        assert f"| `{name}` | `{entry['task']}` |" in readme, name

"""deploy/healthcheck.py, the web container's health check, against a live server."""

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

SCRIPT = Path(settings.BASE_DIR) / "deploy" / "healthcheck.py"


def check(url: str, allowed_hosts: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), url],
        env={"DJANGO_ALLOWED_HOSTS": allowed_hosts, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.django_db(transaction=True)
def test_it_passes_when_healthz_answers(live_server, settings):
    settings.ALLOWED_HOSTS = ["digest.example.org"]
    # The first allowed host is sent as Host, or Django would answer 400 Bad Request.
    assert check(f"{live_server.url}/healthz", ".digest.example.org,localhost").returncode == 0


@pytest.mark.django_db(transaction=True)
def test_it_fails_on_an_error_answer(live_server, settings):
    settings.ALLOWED_HOSTS = ["digest.example.org"]
    result = check(f"{live_server.url}/healthz", "other.example.org")
    assert result.returncode == 1 and "400" in result.stderr


def test_it_fails_when_nothing_listens():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = check(f"http://127.0.0.1:{port}/healthz", "")
    assert result.returncode == 1 and "unhealthy" in result.stderr

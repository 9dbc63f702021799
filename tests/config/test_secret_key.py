"""Production refuses to start with a missing, weak or publicly known secret key."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _load_settings(tmp_path, **env) -> subprocess.CompletedProcess:
    """Import config.settings in a fresh interpreter, as a production process would at start."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PAPER_DIGEST_"))}
    clean.update(PAPER_DIGEST_VAR_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "key",
    [
        "",  # missing
        "short-but-random-Zq8",  # too short to resist guessing
        "a" * 60,  # long, but too few distinct characters
        # Every key that ever appeared in the repository is public.
        "insecure-compose-dev-key-change-me",
        "change-me-to-a-long-random-string",
        "build-only",
        "the-previous-key",
        "django-insecure-" + "x1y2z3w4" * 8,
    ],
)
def test_production_refuses_a_missing_weak_or_known_key(tmp_path, key):
    result = _load_settings(tmp_path, PAPER_DIGEST_PRODUCTION="true", DJANGO_SECRET_KEY=key)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_a_known_key_among_the_fallbacks(tmp_path):
    result = _load_settings(
        tmp_path,
        PAPER_DIGEST_PRODUCTION="true",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_SECRET_KEY_FALLBACKS="insecure-compose-dev-key-change-me",
    )

    assert result.returncode != 0 and "DJANGO_SECRET_KEY_FALLBACKS" in result.stderr


def test_production_starts_with_a_strong_key(tmp_path):
    result = _load_settings(
        tmp_path, PAPER_DIGEST_PRODUCTION="true", DJANGO_SECRET_KEY=secrets.token_urlsafe(50)
    )

    assert result.returncode == 0, result.stderr


def test_embedded_mode_makes_its_own_key_and_keeps_it(tmp_path):
    assert _load_settings(tmp_path).returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50 and (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_the_compose_file_and_image_build_carry_no_key():
    compose = (ROOT / "docker-compose.yml").read_text()
    dockerfile = (ROOT / "Dockerfile").read_text()
    example = (ROOT / ".env.example").read_text()
    for known in ("insecure-compose-dev-key-change-me", "build-only", "change-me-to-a-long-random-string"):
        assert known not in compose and known not in dockerfile and known not in example
    # Compose stops with a message instead of starting production without a key.
    assert "${DJANGO_SECRET_KEY:?" in compose

"""The production settings: `check --deploy` is clean, HTTPS is enforced when on, proxies trusted only when said,
limits counted in a shared cache (issue 15 Low)."""

import json
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

ROOT = settings.BASE_DIR
PRODUCTION = {
    "PAPER_DIGEST_PRODUCTION": "true",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "digest.example.org",
    "SITE_URL": "https://digest.example.org",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "DJANGO_SETTINGS_MODULE": "config.settings",
}


def _run(args, env, tmp_path):
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PAPER_DIGEST", "REDIS"))
    }
    env = {
        **base,
        "PAPER_DIGEST_VAR_DIR": str(tmp_path),
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        **env,
    }
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def _settings(env, tmp_path, *names):
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}))"
    )
    result = _run(["-c", code], env, tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_check_deploy_is_clean_with_the_production_settings(tmp_path):
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_https_turns_on_redirect_hsts_and_secure_cookies(tmp_path):
    values = _settings(
        PRODUCTION,
        tmp_path,
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
    )
    assert values == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
    }
    plain = _settings(
        {**PRODUCTION, "DJANGO_HTTPS": "false"}, tmp_path, "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS"
    )
    assert plain == {"SECURE_SSL_REDIRECT": False, "SECURE_HSTS_SECONDS": 0}


def test_x_forwarded_proto_is_trusted_only_when_configured(tmp_path):
    assert _settings(PRODUCTION, tmp_path, "SECURE_PROXY_SSL_HEADER") == {"SECURE_PROXY_SSL_HEADER": None}
    trusted = _settings(
        {**PRODUCTION, "DJANGO_TRUST_X_FORWARDED_PROTO": "true"}, tmp_path, "SECURE_PROXY_SSL_HEADER"
    )
    assert trusted == {"SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"]}


def test_production_refuses_to_serve_with_a_per_process_cache(tmp_path):
    env = {key: value for key, value in PRODUCTION.items() if key != "REDIS_URL"}
    served = _run(["-c", "import config.wsgi"], env, tmp_path)
    assert served.returncode != 0 and "REDIS_URL" in served.stderr
    checked = _run(["manage.py", "check"], env, tmp_path)
    assert checked.returncode != 0 and "paperdigest.E001" in checked.stderr
    assert _run(["-c", "import config.wsgi"], PRODUCTION, tmp_path).returncode == 0
    # collectstatic at image build time needs no cache.
    assert _run(["manage.py", "collectstatic", "--noinput", "-v", "0"], env, tmp_path).returncode == 0

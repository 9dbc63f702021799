"""The access log never holds a working management link."""

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from gunicorn.config import Config

from config.access_log import RedactingLogger, redact


def test_it_replaces_the_token_in_every_token_route():
    assert (
        redact("GET /preferences/abc:def:ghi/export/ HTTP/1.1") == "GET /preferences/<token>/export/ HTTP/1.1"
    )
    assert redact("/unsubscribe/1-4f2a/") == "/unsubscribe/<token>/"
    assert redact("/digest/xyz/") == "/digest/<token>/"
    assert redact("/ops/inspector/?q=ada") == "/ops/inspector/?q=ada"


def test_the_gunicorn_logger_writes_the_request_line_without_the_token(caplog):
    config = Config()
    config.set("accesslog", "-")
    logger = RedactingLogger(config)
    request = SimpleNamespace(
        method="GET",
        path="/feedback/s3cret-token/",
        query="",
        version=(1, 1),
        headers=[],
        uri="/feedback/s3cret-token/",
    )
    response = SimpleNamespace(status="200 OK", headers=[], sent=12, response_length=12)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/feedback/s3cret-token/",
        "PATH_INFO": "/feedback/s3cret-token/",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": "https://site.example/preferences/other-secret/",
    }

    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=5))

    assert "s3cret" not in atoms["r"] and atoms["r"] == "GET /feedback/<token>/ HTTP/1.1"
    assert "other-secret" not in atoms["f"]


def test_the_deployed_gunicorn_uses_it():
    conf = (Path(settings.BASE_DIR) / "deploy" / "gunicorn.conf.py").read_text()
    assert 'logger_class = "config.access_log.RedactingLogger"' in conf

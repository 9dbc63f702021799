import os
import sys

from django.apps import AppConfig


class DigestConfig(AppConfig):
    name = "digest"
    verbose_name = "Papers and digests"

    def ready(self) -> None:
        if _is_development_server():
            from digest.warmup import web_warm_up_in_background

            web_warm_up_in_background()


def _is_development_server() -> bool:
    """True in the process that serves `manage.py runserver` (gunicorn warms up in gunicorn.conf.py).

    With the autoreloader, the server runs in a child with RUN_MAIN=true; the
    parent only watches files and must not load a model.
    """
    if len(sys.argv) < 2 or sys.argv[1] != "runserver":
        return False
    return os.environ.get("RUN_MAIN") == "true" or "--noreload" in sys.argv

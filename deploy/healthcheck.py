"""Docker healthcheck for the web service: exit 0 when /healthz answers 200, 1 otherwise.

Plain standard library, so it costs no Django start-up. It asks as a browser behind the
proxy would: with a Host that DJANGO_ALLOWED_HOSTS accepts (else Django answers 400) and
X-Forwarded-Proto: https (else a production redirect to https answers 301).

    python deploy/healthcheck.py [URL]      # default http://127.0.0.1:8000/healthz
"""

import os
import sys
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8000/healthz"


def allowed_host() -> str:
    """The first DJANGO_ALLOWED_HOSTS entry as a concrete host name."""
    first = os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",")[0].strip()
    if first in ("", "*"):
        return "localhost"
    # ".example.org" allows example.org and every subdomain.
    return first.lstrip(".")


def healthy(url: str, timeout: float = 5.0) -> bool:
    request = urllib.request.Request(url, headers={"Host": allowed_host(), "X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (a fixed local URL)
            return response.status == 200
    except (urllib.error.URLError, OSError) as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return False


if __name__ == "__main__":
    sys.exit(0 if healthy(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_URL) else 1)

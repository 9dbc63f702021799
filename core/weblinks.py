"""Which URLs from outside may become a link on our pages and in our mail."""

from urllib.parse import urlsplit

# A javascript: or data: URL from a hostile feed would run in our pages if it
# became an href; only web addresses are links.
SAFE_SCHEMES = ("http", "https")


def safe_url(url: str | None) -> str:
    """`url` when it is an absolute http(s) URL, else "" (render no link at all)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in SAFE_SCHEMES or not parts.netloc:
        return ""
    return url

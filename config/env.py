"""Strict readers for settings taken from the environment.

Anchor: healthchecks `hc/settings.py` (envbool, envsecret). A typo such as
DEBUG=ture must fail loudly rather than silently mean False.
"""

import os
from email.utils import getaddresses

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str, default: str | None = None) -> str | None:
    """Read NAME, or the file named by NAME_FILE (Docker secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    return os.environ.get(name, default)


def env_addresses(name: str) -> list[tuple[str, str]]:
    """A comma-separated list of addresses ("Ada <ada@example.org>, ops@example.org") as (name, email) pairs."""
    raw = os.environ.get(name, "")
    pairs = [(display, address) for display, address in getaddresses([raw]) if address]
    for _, address in pairs:
        if "@" not in address:
            raise ImproperlyConfigured(f"{name} must list email addresses, got {address!r}")
    return pairs

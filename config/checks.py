"""Start-up checks of the site's settings that Django's own checks do not make."""

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

LOCAL_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


def cache_is_shared() -> bool:
    return settings.CACHES["default"]["BACKEND"] not in LOCAL_CACHES


@register("caches")
def production_shares_its_cache(app_configs, **kwargs) -> list[Error]:
    """Rate limits count in the cache: a per-process cache multiplies every limit by the workers."""
    if settings.PRODUCTION and not cache_is_shared():
        return [
            Error(
                "Production needs a shared cache for rate limits and the preview budget.",
                hint="Set REDIS_URL.",
                id="paperdigest.E001",
            )
        ]
    return []


def require_shared_cache() -> None:
    """Refuse to serve requests with per-process limits (gunicorn runs no system checks)."""
    for error in production_shares_its_cache(None):
        raise ImproperlyConfigured(f"{error.msg} {error.hint}")

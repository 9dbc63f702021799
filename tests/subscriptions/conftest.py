import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # Rate-limit counters live in the cache; one test's sign-ups must not throttle the next.
    cache.clear()
    yield
    cache.clear()


SIGNUP = {
    "email": "ada@example.org",
    "interests": "Graph neural networks for molecules",
    "exclusions": "",
    "seed_papers": "",
    "frequency": "daily",
    "weekly_day": "0",
    "send_hour": "7",
    "timezone": "Europe/Berlin",
    "digest_size": "5",
}


@pytest.fixture
def signup_data():
    return dict(SIGNUP)

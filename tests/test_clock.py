"""The suite's clock: PD_TEST_NOW moves in-process tests to a chosen instant (tests/conftest.py)."""

import os
from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from tests.factories import DigestFactory, PaperFactory

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def test_each_test_starts_at_the_instant_asked_for(request):
    callspec = getattr(request.node, "callspec", None)
    instant = callspec.params.get("_test_clock") if callspec else None
    if instant is None:
        assert not os.environ.get("PD_TEST_NOW")
        return
    assert instant <= timezone.now() < instant + timedelta(minutes=5)
    # Factories date their rows by that clock too (dates are UTC days).
    today = timezone.now().astimezone(UTC).date()
    assert PaperFactory().announced_on == today
    assert DigestFactory().edition_date == today

import pytest

from subscriptions.forms import PreferencesForm, SignupForm

VALID = {
    "email": " Ada@Example.org ",
    "interests": "Molecules",
    "frequency": "daily",
    "weekly_day": "0",
    "send_hour": "7",
    "timezone": "UTC",
    "digest_size": "5",
}


def test_it_normalises_the_address():
    form = SignupForm(VALID)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["email"] == "ada@example.org"


@pytest.mark.parametrize(
    "email", ["a@b.com\r\nBcc: x@y.com", "a@b.com\n", "\ra@b.com", "a@@b.com", "x" * 255]
)
def test_it_rejects_unsafe_addresses(email):
    assert not SignupForm({**VALID, "email": email}).is_valid()


@pytest.mark.parametrize(
    "field, value",
    [("timezone", "Nowhere/Land"), ("digest_size", "21"), ("send_hour", "-1"), ("frequency", "hourly")],
)
def test_it_rejects_out_of_range_settings(field, value):
    assert not PreferencesForm({**VALID, field: value}).is_valid()

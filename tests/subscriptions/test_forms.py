import pytest
from django import forms
from django.forms.boundfield import BoundField

from subscriptions.forms import CachedSelect, PreferencesForm, SignupForm, timezone_choices

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


def test_a_blank_sign_up_form_renders_exactly_as_django_renders_it_every_time():
    form = SignupForm()

    for name, field in form.fields.items():
        plain = BoundField(form, field, name).as_field_group()
        assert form[name].as_field_group() == plain
        assert SignupForm()[name].as_field_group() == plain  # served from the cache
    assert 'value="Europe/Paris"' in str(form["timezone"])


def test_a_bound_sign_up_form_renders_the_visitors_values_and_errors_not_the_blank_copy():
    SignupForm()["timezone"].as_field_group()  # the blank copy is cached

    form = SignupForm(data={"email": "not an address", "timezone": "Europe/Paris"})
    form.is_valid()

    assert "Enter a valid email address." in form["email"].as_field_group()
    assert '<option value="Europe/Paris" selected>' in form["timezone"].as_field_group()


def test_the_cached_select_renders_as_djangos_select_for_each_value():
    cached = CachedSelect(choices=timezone_choices())
    plain = forms.Select(choices=timezone_choices())

    for value in ("UTC", "Asia/Tokyo", "UTC", "not-a-zone"):
        assert cached.render("timezone", value, {"id": "id_timezone"}) == plain.render(
            "timezone", value, {"id": "id_timezone"}
        )

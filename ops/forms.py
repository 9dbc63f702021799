"""Query-string forms of the operator pages: they bound what a URL can ask the database for."""

from django import forms
from django.conf import settings
from django.utils import timezone

from ops.selectors import DEFAULT_DAYS, MAX_DAYS
from subscriptions.models import MAX_EXCLUSIONS_CHARS, MAX_INTERESTS_CHARS, Subscriber


class WindowForm(forms.Form):
    days = forms.IntegerField(min_value=1, max_value=MAX_DAYS, required=False, initial=DEFAULT_DAYS)

    def days_or_default(self) -> int:
        return (self.cleaned_data.get("days") if self.is_valid() else None) or DEFAULT_DAYS


class InspectorForm(forms.Form):
    q = forms.CharField(label="Email contains", max_length=254, required=False)
    subscriber = forms.ModelChoiceField(
        queryset=Subscriber.objects.all(), required=False, widget=forms.HiddenInput
    )
    date = forms.DateField(
        label="Edition date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_date(self):
        return self.cleaned_data["date"] or timezone.localdate()


class InterestsForm(forms.Form):
    interests = forms.CharField(max_length=MAX_INTERESTS_CHARS, widget=forms.Textarea(attrs={"rows": 4}))
    exclusions = forms.CharField(max_length=MAX_EXCLUSIONS_CHARS, required=False)
    size = forms.IntegerField(min_value=1, max_value=settings.DIGEST_MAX_SIZE, initial=5)

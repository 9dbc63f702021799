"""Forms for sign-up and preferences: every limit on visitor input lives here."""

import functools
import zoneinfo

from django import forms
from django.conf import settings
from django.forms.boundfield import BoundField

from subscriptions.addresses import address_normalize
from subscriptions.models import (
    MAX_EXCLUSIONS_CHARS,
    MAX_INTERESTS_CHARS,
    MAX_SEED_PAPERS_CHARS,
    Subscriber,
)

MAX_EMAIL_CHARS = 254
WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]
HOURS = [(hour, f"{hour:02d}:00") for hour in range(24)]

INTERESTS_HELP = (
    "One topic per line, in your own words, as specific as you like. "
    "“Retrieval-augmented generation for code” works better than “AI”."
)
EXCLUSIONS_HELP = "Topics you never want to see, one per line (optional)."
SEED_PAPERS_HELP = "arXiv ids or titles of papers you liked, one per line (optional)."


@functools.cache
def timezone_choices() -> list[tuple[str, str]]:
    # "localtime" and the like are not zones a person picks.
    names = sorted(name for name in zoneinfo.available_timezones() if "/" in name or name == "UTC")
    return [(name, name.replace("_", " ")) for name in names]


class CachedSelect(forms.Select):
    """A Select rendered through Django's widget templates once per (name, value, attrs, choices).

    The time-zone select has ~600 options, each one a template render: that was
    most of the sign-up page's CPU. The HTML is the template's own, kept per
    process; a selected value only changes which cached copy is served.
    """

    _rendered: dict[tuple, str] = {}
    # Bounds the cache: one entry per selected value of each select (600 time zones at most).
    MAX_ENTRIES = 4096

    def render(self, name, value, attrs=None, renderer=None):
        key = (
            type(self),
            name,
            tuple(self.format_value(value)),
            tuple(sorted(self.build_attrs(self.attrs, attrs).items())),
            tuple(self.choices),
            id(renderer),
        )
        html = self._rendered.get(key)
        if html is None:
            html = super().render(name, value, attrs, renderer)
            if len(self._rendered) < self.MAX_ENTRIES:
                self._rendered[key] = html
        return html


class StrictEmailField(forms.CharField):
    """An address that goes into a To: header, in its one canonical form (subscriptions.addresses)."""

    def __init__(self, **kwargs):
        # strip=False: Django would otherwise silently drop a trailing "\r\n".
        super().__init__(max_length=MAX_EMAIL_CHARS, strip=False, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return value
        if "\r" in value or "\n" in value:
            raise forms.ValidationError("Enter a valid email address.", code="invalid")
        return address_normalize(value)


def normalize_newlines(text: str) -> str:
    """Browsers submit textarea lines ending in CR LF (the HTML spec says so); store plain LF.

    A stray CR would otherwise reach the email's text part and the data export.
    """
    return text.replace("\r\n", "\n").replace("\r", "\n")


class MultilineField(forms.CharField):
    """Free text typed into a textarea: LF line endings, whatever the browser sent."""

    def to_python(self, value):
        return normalize_newlines(super().to_python(value))


class PlainLabelsForm(forms.Form):
    """Labels without the trailing colon Django adds by default."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class DigestSettingsForm(PlainLabelsForm):
    """The fields sign-up and preferences share."""

    interests = MultilineField(
        max_length=MAX_INTERESTS_CHARS,
        widget=forms.Textarea(
            attrs={
                "rows": 5,
                "placeholder": "Diffusion models for protein design\nEfficient attention for long documents",
            }
        ),
        help_text=INTERESTS_HELP,
    )
    exclusions = MultilineField(
        max_length=MAX_EXCLUSIONS_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=EXCLUSIONS_HELP,
    )
    seed_papers = MultilineField(
        label="Papers you liked",
        max_length=MAX_SEED_PAPERS_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "2401.01234"}),
        help_text=SEED_PAPERS_HELP,
    )
    frequency = forms.ChoiceField(
        choices=Subscriber.Frequency.choices, initial=Subscriber.Frequency.DAILY, widget=CachedSelect
    )
    weekly_day = forms.TypedChoiceField(
        label="Day (weekly)", choices=WEEKDAYS, coerce=int, initial=0, widget=CachedSelect
    )
    send_hour = forms.TypedChoiceField(
        label="Send at", choices=HOURS, coerce=int, initial=7, widget=CachedSelect
    )
    timezone = forms.ChoiceField(
        label="Time zone", choices=timezone_choices, initial="UTC", widget=CachedSelect
    )
    digest_size = forms.IntegerField(
        label="Papers per digest",
        min_value=1,
        max_value=settings.DIGEST_MAX_SIZE,
        initial=settings.DIGEST_DEFAULT_SIZE,
    )
    # Optional: a form posted without the newer fields gets their defaults.
    threshold_mode = forms.ChoiceField(
        required=False,
        label="Which papers",
        choices=Subscriber.ThresholdMode.choices,
        initial=Subscriber.ThresholdMode.RECOMMENDED,
        widget=forms.RadioSelect,
        help_text="With the first, a quiet day for your topics brings fewer papers, or none.",
    )
    trending_size = forms.IntegerField(
        required=False,
        label="Trending today",
        min_value=0,
        max_value=settings.DIGEST_MAX_TRENDING,
        initial=Subscriber._meta.get_field("trending_size").default,
        help_text="The day's most upvoted papers on Hugging Face beyond your picks; 0 for none.",
    )
    trending_on_quiet_days = forms.BooleanField(
        label="Send the trending papers on days with nothing for me", required=False, initial=True
    )

    def clean_threshold_mode(self) -> str:
        return self.cleaned_data["threshold_mode"] or self.fields["threshold_mode"].initial

    def clean_trending_size(self) -> int:
        size = self.cleaned_data["trending_size"]
        return self.fields["trending_size"].initial if size is None else size


class BlankFieldCache(BoundField):
    """A field of a blank form (unbound, no initial data) renders the same HTML every time: render it once.

    The sign-up page is a blank SignupForm on every GET; rendering its nine
    field groups through the form templates cost more than the rest of the
    request. A bound form (errors, the visitor's values) or one with initial
    data renders normally.
    """

    _rendered: dict[tuple, str] = {}

    def as_field_group(self):
        form = self.form
        if form.is_bound or form.initial:
            return super().as_field_group()
        key = (type(form), self.name, form.prefix, form.auto_id, id(form.renderer))
        html = self._rendered.get(key)
        if html is None:
            html = self._rendered[key] = super().as_field_group()
        return html


class SignupForm(DigestSettingsForm):
    bound_field_class = BlankFieldCache
    field_order = ["email"]
    email = StrictEmailField(widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}))


class PreferencesForm(DigestSettingsForm):
    send_empty_note = forms.BooleanField(label="Send a short note on days with nothing new", required=False)

    @classmethod
    def initial_for(cls, subscriber: Subscriber) -> dict:
        profile = getattr(subscriber, "profile", None)
        return {
            "interests": profile.interests if profile else "",
            "exclusions": profile.exclusions if profile else "",
            "seed_papers": profile.seed_papers if profile else "",
            **{name: getattr(subscriber, name) for name in SUBSCRIBER_FIELDS},
        }


# Form fields stored on Subscriber; the rest go to TopicProfile.
SUBSCRIBER_FIELDS = (
    "frequency",
    "weekly_day",
    "send_hour",
    "timezone",
    "digest_size",
    "send_empty_note",
    "threshold_mode",
    "trending_size",
    "trending_on_quiet_days",
)
PROFILE_FIELDS = ("interests", "exclusions", "seed_papers")


class DeleteForm(PlainLabelsForm):
    confirm = forms.BooleanField(label="Yes, delete my subscription and everything you know about me")


# A preview ranks for at most this much of what was typed: each facet and
# exclusion costs an embedding and a pass over the candidates, and anyone may
# ask. The saved profile keeps everything; the preview shows the gist.
PREVIEW_MAX_FACETS = 5
PREVIEW_MAX_EXCLUSIONS = 5
PREVIEW_MAX_PHRASE_CHARS = 80


def _bounded(pieces: list[str], limit: int) -> str:
    return "\n".join(piece[:PREVIEW_MAX_PHRASE_CHARS] for piece in pieces[:limit])


class PreviewForm(forms.Form):
    """The sign-up form's text, cut down to what one anonymous preview may cost."""

    interests = MultilineField(max_length=MAX_INTERESTS_CHARS)
    exclusions = MultilineField(max_length=MAX_EXCLUSIONS_CHARS, required=False)
    # The reader's choices so far, so the preview and its "a typical day" count match them.
    threshold_mode = forms.ChoiceField(choices=Subscriber.ThresholdMode.choices, required=False)
    digest_size = forms.IntegerField(min_value=1, max_value=settings.DIGEST_MAX_SIZE, required=False)

    def clean_threshold_mode(self) -> str:
        return self.cleaned_data.get("threshold_mode") or Subscriber.ThresholdMode.RECOMMENDED

    def clean(self) -> dict:
        from digest.ranking import interests_within, split_exclusions

        cleaned = super().clean()
        # Read as the daily run reads it: exclusions typed into the interests
        # ("not interested in X") stay exclusions, side topics stay side topics.
        typed: tuple[str, ...] = ()
        if "interests" in cleaned:
            cleaned["interests"], typed = interests_within(
                cleaned["interests"], max_facets=PREVIEW_MAX_FACETS, max_chars=PREVIEW_MAX_PHRASE_CHARS
            )
        if "exclusions" in cleaned:
            cleaned["exclusions"] = _bounded(
                list(dict.fromkeys([*split_exclusions(cleaned["exclusions"]), *typed])),
                PREVIEW_MAX_EXCLUSIONS,
            )
        return cleaned


class ChangeEmailForm(PlainLabelsForm):
    email = StrictEmailField(
        label="New email address", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def __init__(self, *args, current: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.current = current

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if email == self.current.lower():
            raise forms.ValidationError("That is the address your digest goes to now.", code="unchanged")
        return email

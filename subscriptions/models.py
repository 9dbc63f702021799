"""Subscribers, what they want to read, and what they told us about papers."""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from subscriptions.addresses import address_key, validate_address

MAX_INTERESTS_CHARS = 4000
MAX_EXCLUSIONS_CHARS = 1000
MAX_SEED_PAPERS_CHARS = 2000


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone.")


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for confirmation"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced"

    class Frequency(models.TextChoices):
        DAILY = "daily", "Every day"
        WEEKLY = "weekly", "Once a week"

    class ThresholdMode(models.TextChoices):
        # Only papers whose calibrated score reaches settings.DIGEST_RECOMMENDED_THRESHOLD:
        # a niche or non-English profile gets fewer papers, or none, not five at "relevance 0%".
        RECOMMENDED = "recommended", "Only papers likely to interest me (recommended)"
        TOP_N = "top_n", "Always my top papers, however weak the match"

    # Always in canonical form (subscriptions.addresses): one row per mailbox.
    email = models.EmailField(max_length=254, validators=[validate_address])
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    send_hour = models.PositiveSmallIntegerField(default=7, help_text="Local hour, 0-23.")
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.DAILY)
    weekly_day = models.PositiveSmallIntegerField(default=0, help_text="0 = Monday; used when weekly.")
    digest_size = models.PositiveSmallIntegerField(default=5)
    # Minimum calibrated relevance (0-1) a paper needs to be sent; an operator's floor,
    # raised to the recommended threshold in that mode (effective_threshold).
    threshold = models.FloatField(default=0.0)
    threshold_mode = models.CharField(
        max_length=20, choices=ThresholdMode.choices, default=ThresholdMode.RECOMMENDED
    )
    # "Trending today": the day's most upvoted papers beyond the personal picks; 0 = none.
    trending_size = models.PositiveSmallIntegerField(default=3)
    trending_on_quiet_days = models.BooleanField(
        default=True, help_text="On a day with nothing personal, still send the trending papers."
    )
    send_empty_note = models.BooleanField(
        default=False, help_text="Send a short note on days with nothing new."
    )
    bounce_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # When the last confirmation email went out: one per CONFIRMATION_INTERVAL,
    # however many sign-ups name the address (subscriptions.services).
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    # Part of every management link (preferences, view in browser, feedback):
    # the reader raises it to revoke the links they have shared (subscriptions.tokens).
    links_version = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="subscriber_email_unique_ci"),
            models.CheckConstraint(
                condition=Q(send_hour__gte=0, send_hour__lte=23), name="subscriber_send_hour_0_23"
            ),
            models.CheckConstraint(
                condition=Q(weekly_day__gte=0, weekly_day__lte=6), name="subscriber_weekly_day_0_6"
            ),
            models.CheckConstraint(
                condition=Q(digest_size__gte=1, digest_size__lte=settings.DIGEST_MAX_SIZE),
                name="subscriber_digest_size_1_20",
            ),
            models.CheckConstraint(
                condition=Q(threshold__gte=0.0, threshold__lte=1.0), name="subscriber_threshold_0_1"
            ),
            models.CheckConstraint(condition=~Q(email=""), name="subscriber_email_not_empty"),
            models.CheckConstraint(condition=Q(trending_size__lte=10), name="subscriber_trending_size_0_10"),
        ]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = address_key(self.email)
        super().save(*args, **kwargs)

    @property
    def effective_threshold(self) -> float:
        """The calibrated score a paper needs to be picked for this subscriber."""
        if self.threshold_mode == self.ThresholdMode.RECOMMENDED:
            return max(self.threshold, settings.DIGEST_RECOMMENDED_THRESHOLD)
        return self.threshold


class TopicProfile(models.Model):
    """What a subscriber reads, in their own words."""

    subscriber = models.OneToOneField(Subscriber, on_delete=models.CASCADE, related_name="profile")
    interests = models.TextField(max_length=MAX_INTERESTS_CHARS)
    exclusions = models.TextField(max_length=MAX_EXCLUSIONS_CHARS, blank=True)
    # arXiv ids or titles of papers the subscriber likes, one per line.
    seed_papers = models.TextField(max_length=MAX_SEED_PAPERS_CHARS, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Cached embeddings of the facets and exclusions (float32 rows, facets first),
    # valid while vectors_key matches the texts and the model: a daily run for
    # 100k subscribers must not re-embed profiles that did not change.
    # vectors_layout holds the texts they are of and the reading of the interests
    # text, valid under the reading rules that made it (digest.profiles: the daily
    # run parses no text).
    vectors_key = models.CharField(max_length=64, blank=True)
    vectors = models.BinaryField(null=True, blank=True)
    vectors_layout = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(interests=""), name="profile_interests_not_empty"),
        ]

    def __str__(self):
        return f"Profile of {self.subscriber_id}"


class Feedback(models.Model):
    """A "more / less like this" click; the latest click on a paper wins."""

    class Signal(models.IntegerChoices):
        MORE = 1, "More like this"
        LESS = -1, "Less like this"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="feedback")
    paper = models.ForeignKey("digest.Paper", on_delete=models.CASCADE, related_name="feedback")
    signal = models.SmallIntegerField(choices=Signal.choices)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "paper"], name="feedback_one_per_paper"),
            models.CheckConstraint(condition=Q(signal__in=[1, -1]), name="feedback_signal_valid"),
        ]

    def __str__(self):
        return f"{self.subscriber_id} {self.get_signal_display()} {self.paper_id}"


class PendingChange(models.Model):
    """A sign-up's settings, held until its confirm link is opened.

    Signing up again with a known address must change nothing until the owner
    of the mailbox agrees, so the form data waits here and the confirm token
    names this row. The data could ride inside the token instead, but up to
    7,000 characters of interests would make links longer than some servers
    accept in a request line.
    """

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="pending_changes")
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Where the request came from, for the consent record written on confirmation.
    form = models.CharField(max_length=40, default="signup")
    ip = models.GenericIPAddressField(null=True, blank=True)

    def __str__(self):
        return f"Pending change {self.pk} of {self.subscriber_id}"


class SubscriberStatusChange(models.Model):
    """One row per change of a subscriber's status, for the operators' history chart.

    Written by the database (triggers in migration 0004), not by Python: status
    changes come from services, admin actions and the bounce handler, mostly as
    conditional queryset.update() calls that send no signal, and a trigger sees
    every one of them. Rows go with their subscriber when it is deleted.
    """

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(max_length=20, choices=Subscriber.Status.choices)
    # "" for the row written when the subscriber was created.
    previous_status = models.CharField(max_length=20, choices=Subscriber.Status.choices, blank=True)
    changed_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ("changed_at", "id")

    def __str__(self):
        return f"{self.subscriber_id}: {self.previous_status or 'new'} -> {self.status}"


class ConsentRecord(models.Model):
    """How a reader agreed to get mail: the request (form, address, time) and its confirmation.

    Written when a confirm link is used; kept as long as the subscriber and
    shown in their export, so we can always say when and how they said yes.
    """

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="consents")
    form = models.CharField(max_length=40)
    requested_at = models.DateTimeField()
    requested_ip = models.GenericIPAddressField(null=True, blank=True)
    confirmed_at = models.DateTimeField()
    confirmed_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ("confirmed_at", "id")

    def __str__(self):
        return f"Consent of {self.subscriber_id} at {self.confirmed_at:%Y-%m-%d %H:%M}"

"""Admin for subscribers, their topic profiles and their feedback."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from subscriptions.addresses import address_normalize
from subscriptions.models import (
    ConsentRecord,
    Feedback,
    PendingChange,
    Subscriber,
    SubscriberStatusChange,
    TopicProfile,
)
from subscriptions.tokens import MAX_AGE


class TopicProfileInline(admin.StackedInline):
    model = TopicProfile
    can_delete = False
    readonly_fields = ("updated_at",)


class StatusChangeInline(admin.TabularInline):
    """The subscriber's status history; the database writes it, so nobody edits it here."""

    model = SubscriberStatusChange
    fields = ("changed_at", "previous_status", "status")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-changed_at", "-id")

    def has_add_permission(self, request, obj=None):
        return False


class SubscriberForm(forms.ModelForm):
    """Staff type addresses too: the canonical form before the uniqueness check, as at sign-up."""

    class Meta:
        model = Subscriber
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose

    def clean_email(self) -> str:
        return address_normalize(self.cleaned_data["email"])


class ConsentInline(admin.TabularInline):
    """How the reader agreed to get mail; a record, so nobody edits it."""

    model = ConsentRecord
    fields = ("form", "requested_at", "requested_ip", "confirmed_at", "confirmed_ip")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    form = SubscriberForm
    list_display = (
        "email",
        "status",
        "frequency",
        "send_hour",
        "timezone",
        "digest_size",
        "threshold_mode",
        "trending_size",
        "bounce_count",
        "created_at",
        "digests",
    )
    list_filter = ("status", "frequency", "send_hour", "created_at")
    search_fields = ("email",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "created_at",
        "updated_at",
        "confirmed_at",
        "unsubscribed_at",
        "confirmation_sent_at",
        "links_version",
    )
    inlines = (TopicProfileInline, StatusChangeInline, ConsentInline)
    actions = ("pause",)

    @admin.display(description="")
    def digests(self, subscriber):
        url = reverse("admin:digest_digest_changelist")
        return format_html('<a href="{}?subscriber__id__exact={}">digests</a>', url, subscriber.pk)

    # A staff user who may only view subscribers must not change them through an action either.
    @admin.action(description="Pause selected active subscribers", permissions=["change"])
    def pause(self, request, queryset):
        # Only active subscribers pause; pending, unsubscribed and bounced keep their state.
        paused = queryset.filter(status=Subscriber.Status.ACTIVE).update(status=Subscriber.Status.PAUSED)
        self.message_user(request, f"Paused {paused} subscribers.", messages.SUCCESS)


@admin.register(TopicProfile)
class TopicProfileAdmin(admin.ModelAdmin):
    list_display = ("subscriber", "interests_short", "exclusions_short", "updated_at")
    search_fields = ("subscriber__email", "interests", "exclusions")
    list_select_related = ("subscriber",)
    raw_id_fields = ("subscriber",)
    readonly_fields = ("updated_at",)

    @admin.display(description="interests")
    def interests_short(self, profile):
        return profile.interests[:100]

    @admin.display(description="exclusions")
    def exclusions_short(self, profile):
        return profile.exclusions[:60]


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("subscriber", "paper", "signal", "created_at")
    list_filter = ("signal", "created_at")
    search_fields = ("subscriber__email", "paper__title")
    list_select_related = ("subscriber", "paper")
    raw_id_fields = ("subscriber", "paper")
    date_hierarchy = "created_at"


class RecordAdmin(admin.ModelAdmin):
    """A record of what happened: staff may read it, nobody may add, edit or delete it here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SubscriberStatusChange)
class SubscriberStatusChangeAdmin(RecordAdmin):
    list_display = ("changed_at", "subscriber", "previous_status", "status")
    list_filter = ("status", "previous_status", "changed_at")
    search_fields = ("subscriber__email",)
    list_select_related = ("subscriber",)
    date_hierarchy = "changed_at"

    # Written by a database trigger (migration 0004): an edited history would lie.


@admin.register(PendingChange)
class PendingChangeAdmin(admin.ModelAdmin):
    """Sign-ups waiting for their confirm link; the nightly purge removes expired ones."""

    list_display = ("subscriber", "created_at", "expired", "interests_short")
    list_filter = ("created_at",)
    search_fields = ("subscriber__email",)
    list_select_related = ("subscriber",)
    raw_id_fields = ("subscriber",)
    readonly_fields = ("subscriber", "data", "created_at")

    def has_add_permission(self, request):
        return False

    @admin.display(boolean=True)
    def expired(self, change):
        return change.created_at < timezone.now() - timedelta(seconds=MAX_AGE["confirm"])

    @admin.display(description="interests")
    def interests_short(self, change):
        return str(change.data.get("interests", ""))[:100]


@admin.register(ConsentRecord)
class ConsentRecordAdmin(RecordAdmin):
    """When and how each reader agreed to get mail; written on confirmation, never edited."""

    list_display = ("subscriber", "form", "requested_at", "requested_ip", "confirmed_at", "confirmed_ip")
    list_filter = ("form", "confirmed_at")
    search_fields = ("subscriber__email",)
    list_select_related = ("subscriber",)
    date_hierarchy = "confirmed_at"

"""Admin for subscribers, their topic profiles and their feedback."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from subscriptions.models import Feedback, Subscriber, TopicProfile


class TopicProfileInline(admin.StackedInline):
    model = TopicProfile
    can_delete = False
    readonly_fields = ("updated_at",)


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = (
        "email", "status", "frequency", "send_hour", "timezone", "digest_size", "threshold", "bounce_count", "created_at", "digests",
    )
    list_filter = ("status", "frequency", "send_hour", "created_at")
    search_fields = ("email",)
    date_hierarchy = "created_at"
    readonly_fields = ("created_at", "updated_at", "confirmed_at", "unsubscribed_at")
    inlines = (TopicProfileInline,)
    actions = ("pause",)

    @admin.display(description="")
    def digests(self, subscriber):
        url = reverse("admin:digest_digest_changelist")
        return format_html('<a href="{}?subscriber__id__exact={}">digests</a>', url, subscriber.pk)

    @admin.action(description="Pause selected active subscribers")
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

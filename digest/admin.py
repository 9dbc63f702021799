"""Admin for papers, runs and digests, with the operator actions (services in embedding, ingest, delivery)."""

from django.contrib import admin, messages
from django.db.models import Count, Exists, OuterRef
from django.urls import reverse
from django.utils.html import format_html

from digest import delivery, embedding, ingest
from digest.models import DailyRun, Digest, DigestItem, IngestRun, Paper, PaperEmbedding, ScheduleSlot


class EmbeddedFilter(admin.SimpleListFilter):
    title = "embedded (current model)"
    parameter_name = "embedded"

    def lookups(self, request, model_admin):
        return (("yes", "Yes"), ("no", "No"))

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(has_embedding=self.value() == "yes")
        return queryset


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = (
        "title_short",
        "arxiv_id",
        "announced_on",
        "source",
        "primary_category",
        "upvotes",
        "embedded",
    )
    list_filter = ("announced_on", "source", EmbeddedFilter, "primary_category")
    search_fields = ("title", "arxiv_id", "external_id")
    date_hierarchy = "announced_on"
    readonly_fields = ("created_at", "updated_at")
    actions = ("reembed",)
    list_per_page = 50

    def get_queryset(self, request):
        current = PaperEmbedding.objects.filter(paper=OuterRef("pk"), model_name=embedding.model_name())
        return super().get_queryset(request).annotate(has_embedding=Exists(current))

    @admin.display(description="title", ordering="title")
    def title_short(self, paper):
        return paper.title[:90]

    @admin.display(boolean=True, description="embedded", ordering="has_embedding")
    def embedded(self, paper):
        return paper.has_embedding

    # Each action changes rows: a staff user who may only view them must not run it.
    @admin.action(description="Re-embed selected papers (current model)", permissions=["change"])
    def reembed(self, request, queryset):
        done = embedding.papers_reembed(paper_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request, f"Re-embedded {done} papers with {embedding.model_name()}.", messages.SUCCESS
        )


@admin.register(PaperEmbedding)
class PaperEmbeddingAdmin(admin.ModelAdmin):
    list_display = ("paper", "model_name", "dim", "created_at")
    list_filter = ("model_name",)
    search_fields = ("paper__title", "paper__arxiv_id")
    list_select_related = ("paper",)
    # The vector is raw float32 bytes: meaningless in a form, and must not be edited by hand.
    exclude = ("vector",)
    readonly_fields = ("paper", "model_name", "dim", "created_at")


@admin.register(IngestRun)
class IngestRunAdmin(admin.ModelAdmin):
    list_display = (
        "source",
        "status",
        "started_at",
        "finished_at",
        "fetched",
        "created",
        "updated",
        "unchanged",
        "failed",
    )
    list_filter = ("status", "source", "started_at")
    search_fields = ("source",)
    date_hierarchy = "started_at"
    actions = ("rerun",)

    # A run is a record written by the ingest itself. Added or edited here, its
    # parameters could make a re-run read any file on the server.
    def has_add_permission(self, request):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in IngestRun._meta.fields]

    @admin.action(description="Re-run selected ingests (same source and parameters)", permissions=["change"])
    def rerun(self, request, queryset):
        for run in queryset:
            try:
                new = ingest.ingest_rerun(run)
            except ValueError as exc:  # refused, or parameters that make no request
                self.message_user(request, f"{run.source}: not re-run: {exc}", messages.ERROR)
                continue
            level = messages.SUCCESS if new.status == IngestRun.Status.SUCCEEDED else messages.WARNING
            self.message_user(
                request,
                f"{run.source}: {new.status}, {new.created} created, {new.updated} updated, {new.failed} failed.",
                level,
            )


@admin.register(DailyRun)
class DailyRunAdmin(admin.ModelAdmin):
    list_display = (
        "edition_date",
        "slot",
        "status",
        "started_at",
        "finished_at",
        "papers",
        "subscribers",
        "digests_built",
        "digests_skipped",
        "scheduled_for",
        "late",
    )
    list_filter = ("status", "slot", "edition_date")
    date_hierarchy = "edition_date"
    readonly_fields = ("started_at",)

    @admin.display(boolean=True, description="late")
    def late(self, run: DailyRun) -> bool:
        return run.late


@admin.register(ScheduleSlot)
class ScheduleSlotAdmin(admin.ModelAdmin):
    """The hours whose send slot ran; catching up after an outage starts after the latest."""

    list_display = ("at", "ran_at")
    date_hierarchy = "at"
    readonly_fields = ("ran_at",)


class DigestItemInline(admin.TabularInline):
    model = DigestItem
    extra = 0
    fields = ("rank", "paper", "score", "why")
    raw_id_fields = ("paper",)
    ordering = ("rank",)


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = (
        "subscriber",
        "edition_date",
        "status",
        "papers",
        "attempts",
        "sent_at",
        "error_short",
        "inspect",
    )
    list_filter = ("status", "empty_reason", "edition_date")
    search_fields = ("subscriber__email", "message_id")
    date_hierarchy = "edition_date"
    list_select_related = ("subscriber",)
    raw_id_fields = ("subscriber",)
    readonly_fields = ("created_at", "claimed_at", "sent_at", "message_id")
    inlines = (DigestItemInline,)
    actions = ("resend_failed",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(item_count=Count("items"))

    @admin.display(description="papers", ordering="item_count")
    def papers(self, digest):
        return digest.item_count

    @admin.display(description="last error")
    def error_short(self, digest):
        return digest.last_error[:80]

    @admin.display(description="")
    def inspect(self, digest):
        url = reverse("ops:inspector")
        return format_html(
            '<a href="{}?subscriber={}&amp;date={}">inspect</a>',
            url,
            digest.subscriber_id,
            digest.edition_date.isoformat(),
        )

    @admin.action(description="Resend selected failed digests", permissions=["change"])
    def resend_failed(self, request, queryset):
        requeued = delivery.digests_resend_failed(digest_ids=list(queryset.values_list("pk", flat=True)))
        skipped = queryset.count() - len(requeued)
        note = f" {skipped} selected were not failed and were left alone." if skipped else ""
        self.message_user(
            request, f"Queued {len(requeued)} failed digests for sending.{note}", messages.SUCCESS
        )


@admin.register(DigestItem)
class DigestItemAdmin(admin.ModelAdmin):
    list_display = ("digest", "rank", "paper", "score", "why")
    list_filter = ("digest__edition_date",)
    search_fields = ("digest__subscriber__email", "paper__title", "why")
    list_select_related = ("digest", "paper")
    raw_id_fields = ("digest", "paper")

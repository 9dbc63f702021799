"""Staff-only operator pages: the dashboard, the digest inspector and the runs status page.

Every figure comes from ops.selectors and every lookup from ops.inspector;
these views only read the query string and pick a template.
"""

from collections.abc import Callable

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ops import inspector, selectors
from ops.forms import InspectorForm, InterestsForm, WindowForm

# The model permissions each page needs, as the admin would ask for the same
# rows: being staff alone opens nothing (a staff user without permissions once
# listed every address through the inspector).
DASHBOARD_PERMISSIONS = ("digest.view_dailyrun", "digest.view_ingestrun", "digest.view_digest")
INSPECTOR_PERMISSIONS = ("subscriptions.view_subscriber", "digest.view_digest", "digest.view_paper")
PREVIEW_PERMISSIONS = ("digest.view_paper",)
RUNS_PERMISSIONS = ("digest.view_dailyrun", "digest.view_ingestrun")
OPS_PERMISSIONS = sorted(
    {*DASHBOARD_PERMISSIONS, *INSPECTOR_PERMISSIONS, *PREVIEW_PERMISSIONS, *RUNS_PERMISSIONS}
)


def staff_page(*permissions: str) -> Callable:
    """Staff only (others go to the admin login), and 403 without every one of `permissions`."""

    def decorator(view: Callable) -> Callable:
        return staff_member_required(permission_required(permissions, raise_exception=True)(view))

    return decorator


@require_GET
@staff_page(*DASHBOARD_PERMISSIONS)
def dashboard_page(request: HttpRequest) -> HttpResponse:
    form = WindowForm(request.GET)
    window = selectors.window_for(days=form.days_or_default())
    context = {"form": form, "overview": selectors.dashboard_overview(window)}
    return render(request, "ops/dashboard.html", context)


@require_GET
@staff_page(*INSPECTOR_PERMISSIONS)
def inspector_page(request: HttpRequest) -> HttpResponse:
    form = InspectorForm(request.GET or None)
    context = {"form": form, "preview_form": InterestsForm()}
    if form.is_valid():
        matches = inspector.subscribers_search(form.cleaned_data["q"])
        # A search that finds one subscriber opens it: the common case is a pasted address.
        subscriber = form.cleaned_data["subscriber"] or (matches[0] if len(matches) == 1 else None)
        context["matches"] = matches
        if subscriber:
            context.update(_subscriber_digest(subscriber, form.cleaned_data["date"]))
    return render(request, "ops/inspector.html", context)


def _subscriber_digest(subscriber, edition_date) -> dict:
    context = {
        "subscriber": subscriber,
        "edition_date": edition_date,
        "schedule": inspector.reader_schedule(subscriber),
        "profile": getattr(subscriber, "profile", None),
    }
    digest = inspector.digest_for(subscriber, edition_date)
    if digest:
        context.update(digest=digest, picks=inspector.digest_picks(digest))
        return context
    context["no_digest"] = no_digest = inspector.why_no_digest(subscriber, edition_date, timezone.now())
    # A weekly reader on another weekday, or a paused one, would get nothing: no "would get" list.
    if no_digest.previewable:
        context["picks"] = inspector.subscriber_picks_now(subscriber, edition_date)
        context["is_preview"] = True
    return context


@require_GET
@staff_page(*PREVIEW_PERMISSIONS)
def preview_page(request: HttpRequest) -> HttpResponse:
    form = InterestsForm(request.GET or None)
    context = {"form": InspectorForm(), "preview_form": form, "preview_requested": True}
    if form.is_valid():
        context["free_picks"] = inspector.interests_picks_now(**form.cleaned_data)
    return render(request, "ops/inspector.html", context)


@require_GET
@staff_page(*RUNS_PERMISSIONS)
def runs_page(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    context = {
        "today": today,
        "banner": selectors.status_banner(timezone.now()),
        "daily_runs": selectors.daily_runs_recent(),
        "latest_ingests": selectors.ingest_runs_latest_per_source(),
        "recent_ingests": selectors.ingest_runs_recent(),
    }
    return render(request, "ops/runs.html", context)

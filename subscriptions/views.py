import functools
import json
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from config.client_ip import client_ip
from digest.build import papers_per_day, picks_for_interests
from digest.models import Paper
from digest.ranking import describe_interests
from subscriptions import links, preview_budget, selectors, services
from subscriptions.forms import ChangeEmailForm, DeleteForm, PreferencesForm, PreviewForm, SignupForm
from subscriptions.models import Subscriber
from subscriptions.tokens import BadToken, read_token

# Sign-ups per hour: a household or office shares one IP. There is no limit
# per address: a stranger could spend it and lock the owner out; the
# confirmation emails one address gets are capped in services instead.
SIGNUP_RATE_PER_IP = "20/h"
# The preview fires as people type (debounced), so it allows bursts; its CPU
# cost is capped separately (subscriptions.preview_budget).
PREVIEW_RATE_PER_IP = "60/m"
PREVIEW_SIZE = 5


def token_page(response: HttpResponse) -> HttpResponse:
    """Headers for every page reached through a link token.

    no-store: a shared or back-buttoned browser must not keep a page that can
    export or delete someone's data. no-referrer: the token is in the URL, and
    the page links elsewhere (papers, unsubscribe).
    """
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _bad_link(request: HttpRequest) -> HttpResponse:
    return token_page(render(request, "subscriptions/bad_link.html", status=400))


def with_token(purpose: str) -> Callable:
    """Read the URL's signed `token` for `purpose` before the view runs.

    The view is called as view(request, token=..., subscriber=..., data=...).
    A forged, expired, used or wrong-purpose token, or a view raising BadToken
    for a payload that names nothing (a deleted paper, a used pending change),
    gets the same bad-link page: no view can tell an attacker which it was.
    """

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, token: str) -> HttpResponse:
            try:
                subscriber, data = read_token(token, purpose)
                return token_page(view(request, token=token, subscriber=subscriber, data=data))
            except BadToken:
                return _bad_link(request)

        wrapper.token_page = True  # its forms post with Origin: null (config/csrf.py)
        return wrapper

    return decorator


def _rate_limited(request: HttpRequest) -> HttpResponse:
    return render(request, "subscriptions/rate_limited.html", status=429)


@ratelimit(key="ip", rate=SIGNUP_RATE_PER_IP, method="POST", block=False)
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if request.limited:
            return _rate_limited(request)
        form = SignupForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            services.subscriber_signup(
                email=data.pop("email"), data=data, form="signup", ip=client_ip(request)
            )
            # The same page whether the address is new, pending, active or unsubscribed.
            return render(request, "subscriptions/check_inbox.html")
    else:
        form = SignupForm()
    return render(request, "subscriptions/signup.html", {"form": form})


# POST, not GET: the text stays out of access logs and request lines (gunicorn
# refuses request lines over 4,094 bytes, and the form allows 5,000 characters).
@ratelimit(key="ip", rate=PREVIEW_RATE_PER_IP, block=False)
@require_POST
def preview(request: HttpRequest) -> JsonResponse:
    if request.limited:
        return JsonResponse({"error": "too many requests"}, status=429)
    form = PreviewForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": "invalid input", "fields": list(form.errors)}, status=400)
    client = client_ip(request)
    wait = preview_budget.seconds_until_available(client)
    if wait:
        response = JsonResponse({"error": "preview budget spent", "retry_after": wait}, status=429)
        response["Retry-After"] = str(wait)
        return response
    words = {"interests": form.cleaned_data["interests"], "exclusions": form.cleaned_data["exclusions"]}
    threshold_mode = form.cleaned_data["threshold_mode"]
    with preview_budget.charge(client):
        picks = picks_for_interests(**words, size=PREVIEW_SIZE, threshold_mode=threshold_mode)
        per_day = papers_per_day(
            **words, size=form.cleaned_data["digest_size"] or PREVIEW_SIZE, threshold_mode=threshold_mode
        )
    papers = [
        {
            "paper_id": paper.pk,
            "title": paper.title,
            "url": paper.link,
            "score": round(score, 3),
            "why": why,
        }
        for paper, score, why in picks
    ]
    # How the words were read (topics, what is left out), shown next to the papers.
    reading = describe_interests(
        interests=form.cleaned_data["interests"], exclusions=form.cleaned_data["exclusions"]
    )
    return JsonResponse({"papers": papers, "reading": reading, "papers_per_day": per_day})


@require_http_methods(["GET", "POST"])
@with_token("confirm")
def confirm(request: HttpRequest, *, token: str, subscriber: Subscriber, data: dict) -> HttpResponse:
    change = services.pending_change_latest(subscriber=subscriber)
    if change is None:
        raise BadToken()
    # What the page showed is what gets applied: a request that arrived in the
    # meantime (anyone can make one for any address) is shown first, not applied.
    if request.method == "POST" and request.POST.get("change") == str(change.pk):
        subscriber = services.subscriber_confirm(subscriber=subscriber, change=change, ip=client_ip(request))
        return render(request, "subscriptions/confirmed.html", {"subscriber": subscriber})
    # Mail scanners open links; a GET only asks.
    return render(
        request,
        "subscriptions/confirm.html",
        {"subscriber": subscriber, "change": change.data, "change_id": change.pk},
        status=409 if request.method == "POST" else 200,
    )


# RFC 8058 one-click unsubscribe POSTs come from mail providers, without our CSRF cookie.
@csrf_exempt
@require_http_methods(["GET", "POST"])
@with_token("unsubscribe")
def unsubscribe(request: HttpRequest, *, token: str, subscriber: Subscriber, data: dict) -> HttpResponse:
    if request.method == "POST":
        services.subscriber_unsubscribe(subscriber=subscriber)
        subscriber.refresh_from_db()
        return render(request, "subscriptions/unsubscribed.html", {"subscriber": subscriber, "token": token})
    # Mail scanners open links; a GET only asks.
    return render(request, "subscriptions/unsubscribe_confirm.html", {"subscriber": subscriber})


@require_POST
@with_token("unsubscribe")
def resubscribe(request: HttpRequest, *, token: str, subscriber: Subscriber, data: dict) -> HttpResponse:
    if not services.subscriber_resubscribe(subscriber=subscriber) and subscriber.confirmed_at is None:
        # Never confirmed: only the sign-up form (and its email) can start a subscription.
        return redirect("signup")
    subscriber.refresh_from_db()
    return render(request, "subscriptions/resubscribed.html", {"subscriber": subscriber})


def _feedback_target(data: dict) -> tuple[Paper, int]:
    try:
        paper = Paper.objects.get(pk=data["p"])
        signal = int(data["v"])
    except (Paper.DoesNotExist, KeyError, TypeError, ValueError):
        raise BadToken() from None
    if signal not in (1, -1):
        raise BadToken()
    return paper, signal


@require_http_methods(["GET", "POST"])
@with_token("feedback")
def feedback(request: HttpRequest, *, token: str, subscriber: Subscriber, data: dict) -> HttpResponse:
    """GET asks, POST records: link scanners open every link in a mail, with or without JS.

    The landing page is one click for a person, links onward (the paper, the
    preferences) and, once recorded, offers Undo.
    """
    paper, signal = _feedback_target(data)
    recorded = request.method == "POST"
    if recorded:
        services.feedback_record(subscriber=subscriber, paper_id=paper.pk, signal=signal)
    context = {
        "paper": paper,
        "paper_url": paper.link,
        "signal": signal,
        "token": token,
        "recorded": recorded,
        "preferences_url": links.preferences_url(subscriber),
    }
    return render(request, "subscriptions/feedback_thanks.html", context)


@require_POST
@with_token("feedback")
def feedback_undo(request: HttpRequest, *, token: str, subscriber: Subscriber, data: dict) -> HttpResponse:
    paper, _ = _feedback_target(data)
    services.feedback_undo(subscriber=subscriber, paper_id=paper.pk)
    return render(request, "subscriptions/feedback_undone.html", {"paper": paper})


def _preferences_page(
    request,
    subscriber,
    token,
    *,
    form=None,
    delete_form=None,
    change_email_form=None,
    saved=False,
    status=200,
):
    next_send = selectors.subscriber_next_send(subscriber=subscriber, now=timezone.now())
    context = {
        "subscriber": subscriber,
        "token": token,
        "form": form or PreferencesForm(initial=PreferencesForm.initial_for(subscriber)),
        "delete_form": delete_form or DeleteForm(),
        "change_email_form": change_email_form or ChangeEmailForm(current=subscriber.email),
        "saved": saved,
        "next_send": selectors.next_send_label(next_send) if next_send else "",
        "unsubscribe_url": links.unsubscribe_url(subscriber),
        "archive_url": links.archive_url(subscriber),
        "feed_url": links.feed_url(subscriber),
    }
    return render(request, "subscriptions/preferences.html", context, status=status)


@require_http_methods(["GET", "POST"])
@with_token("preferences")
def preferences(request: HttpRequest, *, token: str, subscriber: Subscriber, data: dict) -> HttpResponse:
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if not form.is_valid():
            return _preferences_page(request, subscriber, token, form=form, status=400)
        services.subscriber_update(subscriber=subscriber, data=form.cleaned_data)
        return _preferences_page(request, subscriber, token, saved=True)
    return _preferences_page(request, subscriber, token)


@require_POST
@with_token("preferences")
def pause(request: HttpRequest, *, token: str, subscriber: Subscriber, data: dict) -> HttpResponse:
    if request.POST.get("action") == "resume":
        services.subscriber_resume(subscriber=subscriber)
    else:
        services.subscriber_pause(subscriber=subscriber)
    return redirect("subscriptions:preferences", token=token)


@require_POST
@with_token("preferences")
def revoke_links(request: HttpRequest, *, token: str, subscriber: Subscriber, data: dict) -> HttpResponse:
    """Stop every preferences, view-in-browser and feedback link; mail a new preferences link."""
    from subscriptions.tasks import send_links

    services.subscriber_revoke_links(subscriber=subscriber)
    send_links.delay(subscriber.pk)
    return render(request, "subscriptions/links_revoked.html", {"subscriber": subscriber})


@require_GET
@with_token("preferences")
def export(request: HttpRequest, *, token: str, subscriber: Subscriber, data: dict) -> HttpResponse:
    body = json.dumps(services.subscriber_export(subscriber=subscriber), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="paper-digest-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@with_token("preferences")
def delete(request: HttpRequest, *, token: str, subscriber: Subscriber, data: dict) -> HttpResponse:
    delete_form = DeleteForm(request.POST)
    if not delete_form.is_valid():
        return _preferences_page(request, subscriber, token, delete_form=delete_form, status=400)
    services.subscriber_delete(subscriber=subscriber)
    return render(request, "subscriptions/deleted.html")


@require_GET
@with_token("archive")
def archive(request: HttpRequest, *, token: str, subscriber: Subscriber, data: dict) -> HttpResponse:
    history = selectors.subscriber_archive(subscriber=subscriber)
    context = {
        "subscriber": subscriber,
        "digests": [(digest, links.digest_url(subscriber, digest.pk)) for digest in history.digests],
        "liked": history.liked,
        "feed_url": links.feed_url(subscriber),
        "preferences_url": links.preferences_url(subscriber),
    }
    response = render(request, "subscriptions/archive.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
@with_token("feed")
def feed(request: HttpRequest, *, token: str, subscriber: Subscriber, data: dict) -> HttpResponse:
    """An Atom feed of the subscriber's picks, for feed readers."""
    feed_url = links.feed_url(subscriber)
    atom = Atom1Feed(
        title=f"{settings.SITE_NAME}: papers picked for you",
        link=links.archive_url(subscriber),
        description="The papers in your digests, newest first.",
        feed_url=feed_url,
        language="en",
    )
    domain = settings.SITE_URL.split("://", 1)[-1].split("/")[0].split(":")[0] or "localhost"
    for item in selectors.subscriber_feed_items(subscriber=subscriber):
        paper, digest = item.paper, item.digest
        atom.add_item(
            title=paper.title,
            link=paper.link or links.digest_url(subscriber, digest.pk),
            description=paper.abstract,
            author_name=", ".join(paper.authors[:3]) or None,
            pubdate=digest.sent_at,
            updateddate=digest.sent_at,
            unique_id=f"tag:{domain},{digest.edition_date:%Y-%m-%d}:digest-{digest.pk}-paper-{paper.pk}",
            categories=[item.why] if item.why else None,
        )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    atom.write(response, "utf-8")
    response["X-Robots-Tag"] = "noindex"
    return response


# Each request mails the new address: plenty for a reader, and a leaked preferences
# link cannot become a way to mail strangers in bulk.
CHANGE_EMAIL_RATE_PER_IP = "5/h"


@ratelimit(key="ip", rate=CHANGE_EMAIL_RATE_PER_IP, method="POST", block=False)
@require_POST
@with_token("preferences")
def change_email(request: HttpRequest, *, token: str, subscriber: Subscriber, data: dict) -> HttpResponse:
    if request.limited:
        return _rate_limited(request)
    form = ChangeEmailForm(request.POST, current=subscriber.email)
    if not form.is_valid():
        return _preferences_page(request, subscriber, token, change_email_form=form, status=400)
    services.subscriber_email_change_request(subscriber=subscriber, new_email=form.cleaned_data["email"])
    context = {
        "subscriber": subscriber,
        "new_email": form.cleaned_data["email"],
        "preferences_url": links.preferences_url(subscriber),
    }
    return render(request, "subscriptions/email_change_sent.html", context)


@require_http_methods(["GET", "POST"])
@with_token("email_change")
def email_change_confirm(
    request: HttpRequest, *, token: str, subscriber: Subscriber, data: dict
) -> HttpResponse:
    new_email = data.get("e")
    if not isinstance(new_email, str) or not new_email:
        raise BadToken()
    if request.method == "GET":
        # Mail scanners open links; a GET only asks.
        context = {"subscriber": subscriber, "new_email": new_email}
        return render(request, "subscriptions/email_change_confirm.html", context)
    try:
        subscriber = services.subscriber_email_change_confirm(subscriber=subscriber, new_email=new_email)
    except services.EmailTaken:
        context = {
            "taken": True,
            "new_email": new_email,
            "preferences_url": links.preferences_url(subscriber),
        }
        return render(request, "subscriptions/email_changed.html", context, status=409)
    context = {"subscriber": subscriber, "preferences_url": links.preferences_url(subscriber)}
    return render(request, "subscriptions/email_changed.html", context)

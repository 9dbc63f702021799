from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from digest.models import Paper
from subscriptions import services
from subscriptions.tokens import BadToken, read_token


def _bad_link(request: HttpRequest) -> HttpResponse:
    return render(request, "subscriptions/bad_link.html", status=400)


# RFC 8058 one-click unsubscribe POSTs come from mail providers, without our CSRF cookie.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber, _ = read_token(token, "unsubscribe")
    except BadToken:
        return _bad_link(request)
    if request.method == "POST":
        services.subscriber_unsubscribe(subscriber=subscriber)
        return render(request, "subscriptions/unsubscribed.html", {"subscriber": subscriber})
    # Mail scanners open links; a GET only asks.
    return render(request, "subscriptions/unsubscribe_confirm.html", {"subscriber": subscriber})


@require_http_methods(["GET"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber, _ = read_token(token, "confirm")
    except BadToken:
        return _bad_link(request)
    services.subscriber_confirm(subscriber=subscriber)
    return render(request, "subscriptions/confirmed.html", {"subscriber": subscriber})


@require_http_methods(["GET"])
def feedback(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber, data = read_token(token, "feedback")
        paper = Paper.objects.get(pk=data["p"])
        signal = int(data["v"])
        if signal not in (1, -1):
            raise BadToken()
    except (BadToken, Paper.DoesNotExist, KeyError, ValueError):
        return _bad_link(request)
    services.feedback_record(subscriber=subscriber, paper_id=paper.pk, signal=signal)
    return render(request, "subscriptions/feedback_thanks.html", {"paper": paper, "signal": signal})


@require_http_methods(["GET"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber, _ = read_token(token, "preferences")
    except BadToken:
        return _bad_link(request)
    return render(request, "subscriptions/preferences.html", {"subscriber": subscriber})

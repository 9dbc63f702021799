from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.emails import render_html
from digest.models import Digest, DigestItem
from digest.render import digest_context
from subscriptions.tokens import BadToken, read_token


@require_GET
def view_digest(request: HttpRequest, token: str) -> HttpResponse:
    """The "view in browser" page: the same HTML as the email."""
    try:
        subscriber, data = read_token(token, "digest")
        digest = (
            Digest.objects.select_related("subscriber__profile")
            .prefetch_related(
                Prefetch("items", queryset=DigestItem.objects.select_related("paper").order_by("rank"))
            )
            .get(pk=data["d"], subscriber=subscriber)
        )
    except (BadToken, Digest.DoesNotExist, KeyError):
        return render(request, "subscriptions/bad_link.html", status=400)
    response = HttpResponse(render_html("digest", digest_context(digest, in_browser=True)))
    response["X-Robots-Tag"] = "noindex"
    return response

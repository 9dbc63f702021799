from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from core.emails import render_html
from digest.models import Digest, DigestItem
from digest.render import digest_context
from subscriptions.models import Subscriber
from subscriptions.tokens import BadToken
from subscriptions.views import with_token


@require_GET
@with_token("digest")
def view_digest(request: HttpRequest, *, token: str, subscriber: Subscriber, data: dict) -> HttpResponse:
    """The "view in browser" page: the same HTML as the email (and a token page: no-store, no-referrer)."""
    try:
        digest = (
            Digest.objects.select_related("subscriber__profile")
            .prefetch_related(
                Prefetch("items", queryset=DigestItem.objects.select_related("paper").order_by("rank"))
            )
            .get(pk=data["d"], subscriber=subscriber)
        )
    except (Digest.DoesNotExist, KeyError, TypeError, ValueError):
        raise BadToken() from None
    response = HttpResponse(render_html("digest", digest_context(digest, in_browser=True)))
    response["X-Robots-Tag"] = "noindex"
    return response

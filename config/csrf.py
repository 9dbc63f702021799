"""Let the forms of our no-referrer token pages pass Django's CSRF origin check.

Pages reached through a link token send `Referrer-Policy: no-referrer` so the
token never leaks to another site. Browsers then send `Origin: null` with the
forms on those pages (Fetch: "serializing a request origin"), which Django's
CsrfViewMiddleware refuses. On views marked `token_page`
(subscriptions.views.with_token) this middleware, placed before Django's, reads
a null origin as our own; the CSRF token check still runs in full, and the
cookie-bound token, which no other site can read, stays the protection.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

NULL_ORIGIN = "null"


class TokenPageNullOriginMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, callback, callback_args, callback_kwargs) -> None:
        if getattr(callback, "token_page", False) and request.META.get("HTTP_ORIGIN") == NULL_ORIGIN:
            request.META["HTTP_ORIGIN"] = f"{request.scheme}://{request.get_host()}"

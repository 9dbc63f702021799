"""Django's CSRF check, accepting `Origin: null` from our own token pages.

Pages reached through a link token send `Referrer-Policy: no-referrer` so the
token never leaks to another site. Browsers then send `Origin: null` with the
forms on those pages (Fetch: "serializing a request origin"), which Django's
origin check refuses. On views marked `token_page` (subscriptions.views.with_token)
a null origin is accepted and the CSRF token check still runs in full: the
cookie-bound token, which no other site can read, stays the protection.
"""

from django.middleware.csrf import CsrfViewMiddleware as DjangoCsrfViewMiddleware

NULL_ORIGIN = "null"


class CsrfViewMiddleware(DjangoCsrfViewMiddleware):
    def process_view(self, request, callback, callback_args, callback_kwargs):
        request._token_page = getattr(callback, "token_page", False)
        return super().process_view(request, callback, callback_args, callback_kwargs)

    def _origin_verified(self, request) -> bool:
        if getattr(request, "_token_page", False) and request.META.get("HTTP_ORIGIN") == NULL_ORIGIN:
            return True
        return super()._origin_verified(request)

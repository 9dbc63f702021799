"""Anymail's webhook URLs, each answering a request it cannot use with 400, never 500.

Anymail serves every ESP it knows. An unauthenticated POST to one we did not
configure raised its configuration error, and a malformed or hostile payload
(a 5,000-digit number, which Python refuses to parse; a missing field) raised
inside the ESP's parser: a 500, an error mail to the admins and a retry storm
from the provider. Neither is our fault nor fixable by retrying, so: 400.
"""

import functools
import logging
from collections.abc import Callable

from anymail import urls as anymail_urls
from anymail.exceptions import AnymailConfigurationError, AnymailError, AnymailWebhookValidationFailure
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import URLPattern

logger = logging.getLogger(__name__)

app_name = anymail_urls.app_name

# What an ESP parser raises on a payload it cannot read.
_MALFORMED = (AnymailError, ValueError, KeyError, TypeError, IndexError, AttributeError)


def _guarded(view: Callable) -> Callable:
    @functools.wraps(view)  # keeps csrf_exempt: providers post without our cookie
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except AnymailWebhookValidationFailure:
            raise  # a wrong or missing secret: Django answers 400 and logs it as suspicious
        except AnymailConfigurationError:
            return HttpResponseBadRequest("This webhook is not configured.")
        except _MALFORMED as exc:
            logger.warning("unreadable webhook payload at %s: %s", request.path, type(exc).__name__)
            return HttpResponseBadRequest("Unreadable payload.")

    return wrapper


urlpatterns = [
    URLPattern(pattern.pattern, _guarded(pattern.callback), pattern.default_args, pattern.name)
    for pattern in anymail_urls.urlpatterns
]

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from config.views import healthz
from subscriptions import views as subscription_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("ops/", include("ops.urls")),
    path("healthz", healthz, name="healthz"),
    path("", subscription_views.signup, name="signup"),
    path("preview", subscription_views.preview, name="preview"),
    path("", include("digest.urls")),
    path("", include("subscriptions.urls")),
]

# The ESP's bounce/complaint (tracking) and inbound webhooks, e.g.
# /anymail/postmark/tracking/ and /anymail/postmark/inbound/. Served only with
# a webhook secret: without one anyone could post a fake bounce and stop a
# subscriber's mail (subscriptions/webhooks.py).
if settings.ANYMAIL.get("WEBHOOK_SECRET"):
    urlpatterns.append(path("anymail/", include("subscriptions.webhook_urls")))

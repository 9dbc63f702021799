from django.contrib import admin
from django.urls import include, path

from config.views import healthz
from subscriptions import views as subscription_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("ops/", include("digest.urls_ops")),
    path("healthz", healthz, name="healthz"),
    path("", subscription_views.signup, name="signup"),
    path("preview", subscription_views.preview, name="preview"),
    path("", include("digest.urls")),
    path("", include("subscriptions.urls")),
]

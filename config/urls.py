from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("ops/", include("digest.urls_ops")),
    path("", include("digest.urls")),
    path("", include("subscriptions.urls")),
]

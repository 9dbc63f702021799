from django.urls import path

from digest import views_ops

app_name = "ops"

urlpatterns = [
    path("", views_ops.dashboard_page, name="dashboard"),
    path("inspector/", views_ops.inspector_page, name="inspector"),
    path("inspector/preview/", views_ops.preview_page, name="preview"),
    path("runs/", views_ops.runs_page, name="runs"),
]

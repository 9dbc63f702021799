from django.urls import path

from ops import views

app_name = "ops"

urlpatterns = [
    path("", views.dashboard_page, name="dashboard"),
    path("inspector/", views.inspector_page, name="inspector"),
    path("inspector/preview/", views.preview_page, name="preview"),
    path("runs/", views.runs_page, name="runs"),
]

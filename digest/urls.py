from django.urls import path

from digest import views

app_name = "digest"

urlpatterns = [
    path("digest/<str:token>/", views.view_digest, name="view"),
]

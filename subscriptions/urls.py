from django.urls import path

from subscriptions import views

app_name = "subscriptions"

urlpatterns = [
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("preferences/<str:token>/", views.preferences, name="preferences"),
    path("preferences/<str:token>/pause/", views.pause, name="pause"),
    path("preferences/<str:token>/export/", views.export, name="export"),
    path("preferences/<str:token>/delete/", views.delete, name="delete"),
    path("preferences/<str:token>/revoke/", views.revoke_links, name="revoke_links"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("unsubscribe/<str:token>/resubscribe/", views.resubscribe, name="resubscribe"),
    path("feedback/<str:token>/", views.feedback, name="feedback"),
    path("feedback/<str:token>/undo/", views.feedback_undo, name="feedback_undo"),
    path("preferences/<str:token>/email/", views.change_email, name="change_email"),
    path("email/<str:token>/", views.email_change_confirm, name="email_change_confirm"),
    path("archive/<str:token>/", views.archive, name="archive"),
    path("feed/<str:token>/", views.feed, name="feed"),
]

from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Subscribers"

    def ready(self):
        # Connects the anymail tracking and inbound receivers.
        from subscriptions import webhooks  # noqa: F401

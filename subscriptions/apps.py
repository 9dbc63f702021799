from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Subscribers"

    def ready(self):
        # Connects the anymail tracking and inbound receivers.
        # Registers the site's own system checks (production needs a shared cache).
        import config.checks  # noqa: F401
        from subscriptions import webhooks  # noqa: F401

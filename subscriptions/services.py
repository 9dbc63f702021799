"""State changes of a subscriber: each one a small function the views and tasks call."""

from django.db import transaction
from django.utils import timezone

from subscriptions.models import Feedback, Subscriber


def subscriber_unsubscribe(*, subscriber: Subscriber) -> bool:
    """Return True if this call changed anything (repeat clicks are harmless)."""
    updated = Subscriber.objects.filter(pk=subscriber.pk).exclude(status=Subscriber.Status.UNSUBSCRIBED).update(
        status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at=timezone.now(), updated_at=timezone.now()
    )
    return bool(updated)


def subscriber_confirm(*, subscriber: Subscriber) -> bool:
    updated = Subscriber.objects.filter(pk=subscriber.pk, status=Subscriber.Status.PENDING).update(
        status=Subscriber.Status.ACTIVE, confirmed_at=timezone.now(), updated_at=timezone.now()
    )
    return bool(updated)


@transaction.atomic
def feedback_record(*, subscriber: Subscriber, paper_id: int, signal: int) -> Feedback:
    """The latest click on a paper wins; clicking the same link twice changes nothing."""
    feedback, _ = Feedback.objects.update_or_create(
        subscriber=subscriber, paper_id=paper_id, defaults={"signal": signal}
    )
    return feedback


def feedback_undo(*, subscriber: Subscriber, paper_id: int) -> None:
    Feedback.objects.filter(subscriber=subscriber, paper_id=paper_id).delete()

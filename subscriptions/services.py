"""State changes of a subscriber: each one a small function the views and tasks call."""

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from subscriptions.forms import PROFILE_FIELDS, SUBSCRIBER_FIELDS
from subscriptions.models import Feedback, PendingChange, Subscriber, TopicProfile
from subscriptions.tokens import MAX_AGE, BadToken, read_mailto_token

logger = logging.getLogger(__name__)

# Confirmation emails one address may get per hour, whoever asks: a sign-up
# form must not become a way to flood someone else's inbox.
CONFIRMATIONS_PER_HOUR = 3


def subscriber_unsubscribe(*, subscriber: Subscriber) -> bool:
    """Return True if this call changed anything (repeat clicks are harmless)."""
    updated = (
        Subscriber.objects.filter(pk=subscriber.pk)
        .exclude(status=Subscriber.Status.UNSUBSCRIBED)
        .update(
            status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at=timezone.now(), updated_at=timezone.now()
        )
    )
    return bool(updated)


def subscriber_unsubscribe_by_mail(*, recipients: Iterable[str]) -> Subscriber | None:
    """Mail to the List-Unsubscribe mailto address, unsubscribe+<token>@domain, unsubscribes the token's owner.

    The token proves the mail answers a digest we sent; who the mail comes
    from does not matter (forwarding and aliases change it). Return the
    subscriber, or None when no recipient carries a valid token.
    """
    for address in recipients:
        local = (address or "").rpartition("@")[0]
        _, plus, token = local.partition("+")
        if not plus:
            continue
        try:
            subscriber = read_mailto_token(token)
        except BadToken:
            continue
        subscriber_unsubscribe(subscriber=subscriber)
        return subscriber
    return None


def subscriber_bounced(*, email: str, permanent: bool) -> bool:
    """A bounce for `email` reported by the mail provider; return True if the address is now marked bounced.

    A permanent refusal (the provider will not even try the address) stops mail
    at once; other bounces count, and DIGEST_BOUNCE_LIMIT of them in a row stop
    it, as for 5xx answers over SMTP (digest.delivery). A sent digest resets the count.
    """
    subscribers = Subscriber.objects.filter(email__iexact=email.strip())
    if not permanent:
        subscribers.update(bounce_count=F("bounce_count") + 1, updated_at=timezone.now())
        subscribers = subscribers.filter(bounce_count__gte=settings.DIGEST_BOUNCE_LIMIT)
    return bool(
        subscribers.filter(
            status__in=(Subscriber.Status.ACTIVE, Subscriber.Status.PAUSED, Subscriber.Status.PENDING)
        ).update(status=Subscriber.Status.BOUNCED, updated_at=timezone.now())
    )


def subscriber_complained(*, email: str) -> bool:
    """A spam complaint or an unsubscribe at the mail provider: never mail the address again unless asked."""
    changed = False
    for subscriber in Subscriber.objects.filter(email__iexact=email.strip()):
        changed |= subscriber_unsubscribe(subscriber=subscriber)
    return changed


def subscriber_resubscribe(*, subscriber: Subscriber) -> bool:
    """Undo an unsubscribe. Only addresses confirmed before: anyone else signs up again."""
    updated = Subscriber.objects.filter(
        pk=subscriber.pk, status=Subscriber.Status.UNSUBSCRIBED, confirmed_at__isnull=False
    ).update(status=Subscriber.Status.ACTIVE, unsubscribed_at=None, updated_at=timezone.now())
    return bool(updated)


@transaction.atomic
def subscriber_signup(*, email: str, data: dict) -> PendingChange:
    """Record a sign-up and queue its confirmation email; change nothing else.

    The caller sees the same outcome for new, pending, active and unsubscribed
    addresses: the settings wait in a PendingChange until the link is opened,
    and the email is sent by a task after commit, outside the request.
    """
    from subscriptions.tasks import send_confirmation

    subscriber = Subscriber.objects.filter(email__iexact=email).first()
    if subscriber is None:
        subscriber = Subscriber.objects.create(email=email, status=Subscriber.Status.PENDING)
    change = PendingChange.objects.create(subscriber=subscriber, data=data)
    transaction.on_commit(lambda: send_confirmation.delay(subscriber.pk, change.pk))
    return change


@transaction.atomic
def pending_changes_purge(*, now=None) -> tuple[int, int]:
    """Forget sign-ups whose confirm link has expired; return (changes, addresses) deleted.

    An expired link can never apply its change, so the row only keeps someone's
    text for nothing. An address that was never confirmed and has nothing left
    pending goes too: we keep no list of people who did not say yes.
    """
    cutoff = (now or timezone.now()) - timedelta(seconds=MAX_AGE["confirm"])
    _, changes = PendingChange.objects.filter(created_at__lt=cutoff).delete()
    _, addresses = (
        Subscriber.objects.filter(
            status=Subscriber.Status.PENDING, confirmed_at__isnull=True, created_at__lt=cutoff
        )
        .exclude(pending_changes__isnull=False)
        .delete()
    )
    # delete() also counts the rows that cascade (profile, status history): count ours only.
    return changes.get(PendingChange._meta.label, 0), addresses.get(Subscriber._meta.label, 0)


def subscriber_may_get_confirmation(*, subscriber: Subscriber) -> bool:
    since = timezone.now() - timedelta(hours=1)
    return subscriber.pending_changes.filter(created_at__gte=since).count() <= CONFIRMATIONS_PER_HOUR


@transaction.atomic
def subscriber_confirm(*, subscriber: Subscriber, change: PendingChange) -> Subscriber:
    """Apply a confirmed sign-up. Saving moves updated_at, so every confirm link of this address stops working."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    subscriber_update(subscriber=subscriber, data=change.data)
    if subscriber.status != Subscriber.Status.PAUSED:
        subscriber.status = Subscriber.Status.ACTIVE
    subscriber.confirmed_at = timezone.now()
    subscriber.unsubscribed_at = None
    subscriber.bounce_count = 0
    subscriber.save()
    subscriber.pending_changes.all().delete()
    return subscriber


@transaction.atomic
def subscriber_update(*, subscriber: Subscriber, data: dict) -> Subscriber:
    """Save the digest settings in `data` (cleaned form data) to the subscriber and its profile."""
    for name in SUBSCRIBER_FIELDS:
        if name in data:
            setattr(subscriber, name, data[name])
    subscriber.full_clean(exclude=["email"])
    subscriber.save()
    TopicProfile.objects.update_or_create(
        subscriber=subscriber, defaults={name: data.get(name, "") for name in PROFILE_FIELDS}
    )
    return subscriber


def subscriber_pause(*, subscriber: Subscriber) -> bool:
    updated = Subscriber.objects.filter(pk=subscriber.pk, status=Subscriber.Status.ACTIVE).update(
        status=Subscriber.Status.PAUSED, updated_at=timezone.now()
    )
    return bool(updated)


def subscriber_resume(*, subscriber: Subscriber) -> bool:
    updated = Subscriber.objects.filter(pk=subscriber.pk, status=Subscriber.Status.PAUSED).update(
        status=Subscriber.Status.ACTIVE, updated_at=timezone.now()
    )
    return bool(updated)


def subscriber_delete(*, subscriber: Subscriber) -> None:
    """Really delete: the profile, feedback, digests and pending changes cascade."""
    subscriber.delete()


def subscriber_export(*, subscriber: Subscriber) -> dict:
    """Everything we store about a subscriber, as JSON-ready data."""
    profile = TopicProfile.objects.filter(subscriber=subscriber).first()
    digests = subscriber.digests.prefetch_related("items__paper").order_by("edition_date")
    return {
        "email": subscriber.email,
        "status": subscriber.status,
        "frequency": subscriber.frequency,
        "weekly_day": subscriber.weekly_day,
        "send_hour": subscriber.send_hour,
        "timezone": subscriber.timezone,
        "digest_size": subscriber.digest_size,
        "send_empty_note": subscriber.send_empty_note,
        "threshold_mode": subscriber.threshold_mode,
        "trending_size": subscriber.trending_size,
        "trending_on_quiet_days": subscriber.trending_on_quiet_days,
        "created_at": subscriber.created_at.isoformat(),
        "confirmed_at": subscriber.confirmed_at.isoformat() if subscriber.confirmed_at else None,
        "unsubscribed_at": subscriber.unsubscribed_at.isoformat() if subscriber.unsubscribed_at else None,
        "profile": {name: getattr(profile, name) for name in PROFILE_FIELDS} if profile else None,
        "status_history": [
            {
                "status": change.status,
                "previous_status": change.previous_status or None,
                "at": change.changed_at.isoformat(),
            }
            for change in subscriber.status_changes.order_by("changed_at", "id")
        ],
        "pending_changes": [
            {"data": change.data, "at": change.created_at.isoformat()}
            for change in subscriber.pending_changes.order_by("created_at")
        ],
        "feedback": [
            {
                "paper": fb.paper.title,
                "url": fb.paper.link,
                "signal": fb.get_signal_display(),
                "at": fb.created_at.isoformat(),
            }
            for fb in subscriber.feedback.select_related("paper").order_by("created_at")
        ],
        "digests": [
            {
                "edition_date": digest.edition_date.isoformat(),
                "status": digest.status,
                "sent_at": digest.sent_at.isoformat() if digest.sent_at else None,
                "items": [
                    {
                        "rank": item.rank,
                        "paper": item.paper.title,
                        "url": item.paper.link,
                        "score": item.score,
                        "why": item.why,
                    }
                    for item in digest.items.all()
                ],
            }
            for digest in digests
        ],
    }


@transaction.atomic
def feedback_record(*, subscriber: Subscriber, paper_id: int, signal: int) -> Feedback:
    """The latest click on a paper wins; clicking the same link twice changes nothing."""
    feedback, _ = Feedback.objects.update_or_create(
        subscriber=subscriber, paper_id=paper_id, defaults={"signal": signal}
    )
    return feedback


def feedback_undo(*, subscriber: Subscriber, paper_id: int) -> None:
    Feedback.objects.filter(subscriber=subscriber, paper_id=paper_id).delete()


def confirmation_send(*, change: PendingChange) -> bool:
    """Send the confirm link of `change`, unless this address already got its share this hour."""
    from core.emails import email_build
    from subscriptions import links

    subscriber = change.subscriber
    if not subscriber_may_get_confirmation(subscriber=subscriber):
        return False
    if NEW_EMAIL_KEY in change.data:
        return _email_change_send(change=change)
    is_update = subscriber.confirmed_at is not None and subscriber.status in (
        Subscriber.Status.ACTIVE,
        Subscriber.Status.PAUSED,
    )
    context = {
        "email": subscriber.email,
        "is_update": is_update,
        "confirm_url": links.confirm_url(subscriber, change_id=change.pk),
        "interests": change.data.get("interests", ""),
        "exclusions": change.data.get("exclusions", ""),
        "frequency": dict(Subscriber.Frequency.choices).get(change.data.get("frequency"), ""),
        "send_hour": change.data.get("send_hour"),
        "timezone": change.data.get("timezone", ""),
        "digest_size": change.data.get("digest_size"),
        "expires_days": MAX_AGE["confirm"] // 86400,
    }
    email_build("confirm", to=subscriber.email, context=context).send()
    return True


# A PendingChange whose data holds this key is an address change, confirmed at the new address.
NEW_EMAIL_KEY = "new_email"


class EmailTaken(Exception):
    """The new address already belongs to another subscription."""


@transaction.atomic
def subscriber_email_change_request(*, subscriber: Subscriber, new_email: str) -> PendingChange:
    """Hold a change of address until the link sent to the new address is opened.

    Digests keep going to the old address until then: only the owner of the new
    mailbox can move a subscription there.
    """
    from subscriptions.tasks import send_confirmation

    change = PendingChange.objects.create(subscriber=subscriber, data={NEW_EMAIL_KEY: new_email})
    transaction.on_commit(lambda: send_confirmation.delay(subscriber.pk, change.pk))
    return change


@transaction.atomic
def subscriber_email_change_confirm(*, subscriber: Subscriber, change: PendingChange) -> Subscriber:
    """Move the subscription to the new address; digests, feedback and settings stay with it.

    The address is part of every link token's state, so links in emails sent to
    the old address stop working: they would otherwise act for the new one.
    """
    new_email = change.data[NEW_EMAIL_KEY]
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if Subscriber.objects.filter(email__iexact=new_email).exclude(pk=subscriber.pk).exists():
        raise EmailTaken(new_email)
    subscriber.email = new_email
    subscriber.bounce_count = 0
    subscriber.save()
    change.delete()
    return subscriber


def _email_change_send(*, change: PendingChange) -> bool:
    from core.emails import email_build
    from subscriptions import links

    subscriber = change.subscriber
    new_email = change.data[NEW_EMAIL_KEY]
    context = {
        "old_email": subscriber.email,
        "email": new_email,
        "confirm_url": links.email_change_url(subscriber, change_id=change.pk),
        "expires_days": MAX_AGE["email_change"] // 86400,
    }
    email_build("email_change", to=new_email, context=context).send()
    return True

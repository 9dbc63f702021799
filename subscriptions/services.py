"""State changes of a subscriber: each one a small function the views and tasks call."""

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from subscriptions.addresses import address_key
from subscriptions.forms import PROFILE_FIELDS, SUBSCRIBER_FIELDS
from subscriptions.models import ConsentRecord, Feedback, PendingChange, Subscriber, TopicProfile
from subscriptions.tokens import MAX_AGE, BadToken, read_mailto_token

logger = logging.getLogger(__name__)

# One confirmation email per address in this interval, however many sign-ups
# name it and whoever sends them: a sign-up form must not become a way to
# flood someone's inbox. The owner is never locked out: the link in the mail
# already sent opens the address's latest request, whoever made it, and the
# mail carries no text from the request, so it is the mail the owner wanted.
CONFIRMATION_INTERVAL = timedelta(hours=1)


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
    subscribers = Subscriber.objects.filter(email=address_key(email))
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
    for subscriber in Subscriber.objects.filter(email=address_key(email)):
        changed |= subscriber_unsubscribe(subscriber=subscriber)
    return changed


def subscriber_resubscribe(*, subscriber: Subscriber) -> bool:
    """Undo an unsubscribe. Only addresses confirmed before: anyone else signs up again."""
    updated = Subscriber.objects.filter(
        pk=subscriber.pk, status=Subscriber.Status.UNSUBSCRIBED, confirmed_at__isnull=False
    ).update(status=Subscriber.Status.ACTIVE, unsubscribed_at=None, updated_at=timezone.now())
    return bool(updated)


@transaction.atomic
def subscriber_signup(
    *, email: str, data: dict, form: str = "signup", ip: str | None = None
) -> PendingChange:
    """Record a sign-up and queue its confirmation email; change nothing else.

    The caller sees the same outcome for new, pending, active and unsubscribed
    addresses: the settings wait in a PendingChange until the link is opened,
    and the email is sent by a task after commit, outside the request. Only the
    latest request of an address is kept: its confirm link opens that one.
    """
    from subscriptions.tasks import send_confirmation

    email = address_key(email)
    subscriber, _ = Subscriber.objects.get_or_create(
        email=email, defaults={"status": Subscriber.Status.PENDING}
    )
    subscriber.pending_changes.all().delete()
    change = PendingChange.objects.create(subscriber=subscriber, data=data, form=form, ip=ip)
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


def confirmation_claim(*, subscriber: Subscriber) -> bool:
    """Take this interval's one confirmation email for the address; False when it is spent.

    A conditional UPDATE, so two workers never both send. It moves neither
    updated_at nor anything a confirm token hashes: earlier links keep working.
    """
    now = timezone.now()
    return bool(
        Subscriber.objects.filter(pk=subscriber.pk)
        .filter(
            Q(confirmation_sent_at__isnull=True) | Q(confirmation_sent_at__lte=now - CONFIRMATION_INTERVAL)
        )
        .update(confirmation_sent_at=now)
    )


def confirmation_release(*, subscriber: Subscriber) -> None:
    """The claimed email could not be sent: let the retry (or the next sign-up) send it."""
    Subscriber.objects.filter(pk=subscriber.pk).update(confirmation_sent_at=None)


def pending_change_latest(*, subscriber: Subscriber) -> PendingChange | None:
    return subscriber.pending_changes.order_by("-created_at", "-id").first()


@transaction.atomic
def subscriber_confirm(*, subscriber: Subscriber, change: PendingChange, ip: str | None = None) -> Subscriber:
    """Apply a confirmed sign-up and record the consent.

    Saving moves updated_at, so every confirm link of this address stops working.
    """
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    subscriber_update(subscriber=subscriber, data=change.data)
    if subscriber.status != Subscriber.Status.PAUSED:
        subscriber.status = Subscriber.Status.ACTIVE
    subscriber.confirmed_at = timezone.now()
    subscriber.unsubscribed_at = None
    subscriber.bounce_count = 0
    subscriber.confirmation_sent_at = None
    subscriber.save()
    ConsentRecord.objects.create(
        subscriber=subscriber,
        form=change.form,
        requested_at=change.created_at,
        requested_ip=change.ip,
        confirmed_at=subscriber.confirmed_at,
        confirmed_ip=ip,
    )
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


@transaction.atomic
def subscriber_delete(*, subscriber: Subscriber) -> None:
    """Really delete: the profile, feedback, digests, pending changes and consents cascade.

    The admin's history (LogEntry) names the address in its object_repr and
    change messages and has no foreign key to cascade along: delete it here.
    """
    from digest.models import Digest

    owned = {
        Subscriber: [subscriber.pk],
        TopicProfile: TopicProfile.objects.filter(subscriber=subscriber).values_list("pk", flat=True),
        Feedback: subscriber.feedback.values_list("pk", flat=True),
        PendingChange: subscriber.pending_changes.values_list("pk", flat=True),
        Digest: subscriber.digests.values_list("pk", flat=True),
    }
    for model, pks in owned.items():
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id__in=[str(pk) for pk in pks]
        ).delete()
    subscriber.delete()


def subscriber_revoke_links(*, subscriber: Subscriber) -> Subscriber:
    """Make every preferences, view-in-browser and feedback link of this reader stop working.

    Unsubscribe links keep working. The caller mails a fresh preferences link
    to the address, so only the mailbox's owner gets the new one.
    """
    Subscriber.objects.filter(pk=subscriber.pk).update(links_version=F("links_version") + 1)
    subscriber.refresh_from_db()
    return subscriber


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
        "threshold": subscriber.threshold,
        "send_empty_note": subscriber.send_empty_note,
        "bounce_count": subscriber.bounce_count,
        "threshold_mode": subscriber.threshold_mode,
        "trending_size": subscriber.trending_size,
        "trending_on_quiet_days": subscriber.trending_on_quiet_days,
        "created_at": subscriber.created_at.isoformat(),
        "confirmed_at": subscriber.confirmed_at.isoformat() if subscriber.confirmed_at else None,
        "unsubscribed_at": subscriber.unsubscribed_at.isoformat() if subscriber.unsubscribed_at else None,
        "profile": {name: getattr(profile, name) for name in PROFILE_FIELDS} if profile else None,
        "consent": [
            {
                "form": consent.form,
                "requested_at": consent.requested_at.isoformat(),
                "requested_ip": consent.requested_ip,
                "confirmed_at": consent.confirmed_at.isoformat(),
                "confirmed_ip": consent.confirmed_ip,
            }
            for consent in subscriber.consents.all()
        ],
        "status_history": [
            {
                "status": change.status,
                "previous_status": change.previous_status or None,
                "at": change.changed_at.isoformat(),
            }
            for change in subscriber.status_changes.order_by("changed_at", "id")
        ],
        "pending_changes": [
            {"data": change.data, "form": change.form, "ip": change.ip, "at": change.created_at.isoformat()}
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
                "message_id": digest.message_id,
                "last_error": digest.last_error,
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


def confirmation_send(*, subscriber: Subscriber) -> bool:
    """Send the address's confirm link, unless it already got one this interval.

    The mail holds nothing the requester typed (interests, exclusions): whoever
    asks, it reads the same, so it cannot carry a stranger's message. The
    confirm page shows the request before anything is applied.
    """
    from core.emails import email_build
    from subscriptions import links

    if not confirmation_claim(subscriber=subscriber):
        return False
    is_update = subscriber.confirmed_at is not None and subscriber.status in (
        Subscriber.Status.ACTIVE,
        Subscriber.Status.PAUSED,
    )
    context = {
        "email": subscriber.email,
        "is_update": is_update,
        "confirm_url": links.confirm_url(subscriber),
        "expires_days": MAX_AGE["confirm"] // 86400,
    }
    try:
        email_build("confirm", to=subscriber.email, context=context).send()
    except BaseException:
        confirmation_release(subscriber=subscriber)
        raise
    return True


def links_send(*, subscriber: Subscriber) -> None:
    """Mail the reader a fresh preferences link (after they revoked the old ones)."""
    from core.emails import email_build
    from subscriptions import links

    context = {"email": subscriber.email, "preferences_url": links.preferences_url(subscriber)}
    email_build("links", to=subscriber.email, context=context).send()


class EmailTaken(Exception):
    """The new address already belongs to another subscription."""


def subscriber_email_change_request(*, subscriber: Subscriber, new_email: str) -> None:
    """Mail a confirm link to the new address; nothing changes until it is opened.

    Digests keep going to the old address until then: only the owner of the new
    mailbox can move a subscription there. The new address rides in the signed
    link (tokens "email_change"), so no pending row waits in the database.
    """
    from subscriptions.tasks import send_email_change

    transaction.on_commit(lambda: send_email_change.delay(subscriber.pk, new_email))


@transaction.atomic
def subscriber_email_change_confirm(*, subscriber: Subscriber, new_email: str) -> Subscriber:
    """Move the subscription to the new address; digests, feedback and settings stay with it.

    The address is part of every link token's state, so links in emails sent to
    the old address stop working, this confirm link included.
    """
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if Subscriber.objects.filter(email=address_key(new_email)).exclude(pk=subscriber.pk).exists():
        raise EmailTaken(new_email)
    subscriber.email = new_email
    subscriber.bounce_count = 0
    subscriber.save()
    return subscriber


def email_change_send(*, subscriber: Subscriber, new_email: str) -> None:
    from core.emails import email_build
    from subscriptions import links

    context = {
        "old_email": subscriber.email,
        "email": new_email,
        "confirm_url": links.email_change_url(subscriber, new_email=new_email),
        "expires_days": MAX_AGE["email_change"] // 86400,
    }
    email_build("email_change", to=new_email, context=context).send()

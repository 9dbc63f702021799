"""Render and send digests. The Digest row is the outbox.

Each digest is claimed with a conditional UPDATE before its message is handed to
the mail server and marked sent only after the server accepted it, one message
at a time over one connection per chunk. A worker that dies strands at most the
one digest it was sending; that digest is claimable again after
DIGEST_CLAIM_TIMEOUT (at-least-once at the instant of an SMTP accept).
"""

import logging
import smtplib
import socket
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote

from django.conf import settings
from django.core.mail import get_connection
from django.db.models import F, Prefetch, Q
from django.utils import timezone

from digest.emails import email_build
from digest.models import Digest, DigestItem, Paper
from digest.scoring import candidate_window
from subscriptions import links
from subscriptions.models import Subscriber

logger = logging.getLogger(__name__)

SOURCE_LABELS = {
    "hf_daily": "Hugging Face Daily Papers",
    "hf_page": "Hugging Face Daily Papers",
    "arxiv_api": "arXiv",
    "arxiv_rss": "arXiv",
    "file": "Sample corpus",
}


class TemporaryFailure(Exception):
    pass


class PermanentFailure(Exception):
    pass


@dataclass
class SendResult:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


def _authors(authors: list[str]) -> str:
    if len(authors) > 3:
        return ", ".join(authors[:3]) + " et al."
    return ", ".join(authors)


def digest_context(digest: Digest, *, counts: dict | None = None) -> dict:
    """Everything the digest templates need; shared by the email and the browser view."""
    subscriber = digest.subscriber
    profile = getattr(subscriber, "profile", None)
    items = []
    for item in digest.items.all():
        paper = item.paper
        items.append(
            {
                "rank": item.rank,
                "paper": paper,
                "score": item.score,
                "why": item.why,
                "link": paper.link,
                "authors": _authors(paper.authors),
                "source_label": SOURCE_LABELS.get(paper.source, paper.source),
                "more_url": links.feedback_url(subscriber, paper.pk, 1),
                "less_url": links.feedback_url(subscriber, paper.pk, -1),
            }
        )
    sections: dict[str, list[dict]] = {}
    for item in items:
        sections.setdefault(item["why"] or "Also new", []).append(item)
    interests = " ".join((profile.interests if profile else "").split())
    return {
        "email": subscriber.email,
        "edition_label": f"{digest.edition_date:%A} {digest.edition_date.day} {digest.edition_date:%B %Y}",
        "items": items,
        "sections": [{"label": label, "items": group} for label, group in sections.items()],
        "candidates": _candidate_count(digest, {} if counts is None else counts),
        "interests_summary": interests[:160] + ("…" if len(interests) > 160 else ""),
        "view_url": links.digest_url(subscriber, digest.pk),
        "preferences_url": links.preferences_url(subscriber),
        "unsubscribe_url": links.unsubscribe_url(subscriber),
    }


def _candidate_count(digest: Digest, cache: dict) -> int:
    """Papers announced in the digest's window; one query per window, not per digest."""
    window = candidate_window(digest.edition_date, digest.subscriber)
    if window not in cache:
        cache[window] = Paper.objects.filter(announced_on__gte=window[0], announced_on__lte=window[1]).count()
    return cache[window]


def message_id_for(digest: Digest) -> str:
    """Stable per digest: a resend after a crash carries the same Message-ID, so clients can fold duplicates."""
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or "localhost"
    return f"<digest-{digest.pk}-{digest.edition_date:%Y%m%d}@{domain}>"


def digest_message(digest: Digest, *, counts: dict | None = None):
    context = digest_context(digest, counts=counts)
    unsubscribe = context["unsubscribe_url"]
    list_unsubscribe = f"<{unsubscribe}>"
    if settings.UNSUBSCRIBE_MAILTO:
        token = unsubscribe.rstrip("/").rsplit("/", 1)[-1]
        list_unsubscribe += f", <mailto:{settings.UNSUBSCRIBE_MAILTO}?subject={quote('unsubscribe ' + token)}>"
    domain = settings.SITE_URL.split("://", 1)[-1].split("/")[0].split(":")[0] or "localhost"
    headers = {
        "List-Unsubscribe": list_unsubscribe,
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"{settings.SITE_NAME} daily digest <digest.{domain}>",
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "OOF, AutoReply",
    }
    return email_build("digest", to=digest.subscriber.email, context=context, headers=headers, message_id=message_id_for(digest))


def _claim(digest_id: int) -> bool:
    now = timezone.now()
    abandoned = now - timedelta(seconds=settings.DIGEST_CLAIM_TIMEOUT)
    return bool(
        Digest.objects.filter(pk=digest_id)
        .filter(Q(status=Digest.Status.PENDING) | Q(status=Digest.Status.SENDING, claimed_at__lt=abandoned))
        .update(status=Digest.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )


def _classify(exc: Exception) -> Exception:
    """Map a backend error to a temporary or a permanent failure."""
    from anymail.exceptions import AnymailError, AnymailRecipientsRefused

    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        text = "; ".join(f"{code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}" for code, msg in exc.recipients.values())
        return TemporaryFailure(text) if all(400 <= c < 500 for c in codes) else PermanentFailure(text)
    if isinstance(exc, smtplib.SMTPResponseException):
        text = f"{exc.smtp_code} {exc.smtp_error.decode(errors='replace') if isinstance(exc.smtp_error, bytes) else exc.smtp_error}"
        return PermanentFailure(text) if 500 <= exc.smtp_code < 600 else TemporaryFailure(text)
    if isinstance(exc, AnymailRecipientsRefused):
        return PermanentFailure(str(exc))
    if isinstance(exc, (smtplib.SMTPException, socket.timeout, ConnectionError, OSError, AnymailError)):
        return TemporaryFailure(f"{type(exc).__name__}: {exc}")
    return exc


def _mark_sent(digest: Digest) -> None:
    Digest.objects.filter(pk=digest.pk, status=Digest.Status.SENDING).update(
        status=Digest.Status.SENT, sent_at=timezone.now(), message_id=message_id_for(digest), last_error=""
    )
    if digest.subscriber.bounce_count:  # loaded with the chunk: spares a query per digest when there is nothing to reset
        Subscriber.objects.filter(pk=digest.subscriber_id, bounce_count__gt=0).update(bounce_count=0)


def _mark_temporary(digest_id: int, reason: str) -> bool:
    """Back to pending for a retry; return False when attempts are exhausted (now failed)."""
    exhausted = Digest.objects.filter(pk=digest_id, attempts__gte=settings.DIGEST_MAX_ATTEMPTS).update(
        status=Digest.Status.FAILED, last_error=f"gave up after retries: {reason}"[:2000]
    )
    if exhausted:
        return False
    Digest.objects.filter(pk=digest_id, status=Digest.Status.SENDING).update(
        status=Digest.Status.PENDING, last_error=reason[:2000]
    )
    return True


def _mark_permanent(digest: Digest, reason: str) -> None:
    Digest.objects.filter(pk=digest.pk).update(status=Digest.Status.FAILED, last_error=reason[:2000])
    Subscriber.objects.filter(pk=digest.subscriber_id).update(bounce_count=F("bounce_count") + 1)
    Subscriber.objects.filter(
        pk=digest.subscriber_id, bounce_count__gte=settings.DIGEST_BOUNCE_LIMIT, status=Subscriber.Status.ACTIVE
    ).update(status=Subscriber.Status.BOUNCED)


def digests_send(*, digest_ids: list[int], connection=None) -> SendResult:
    """Send these digests over one connection. A failing address never stops the rest."""
    result = SendResult()
    digests = {
        d.pk: d
        for d in Digest.objects.filter(pk__in=digest_ids)
        .select_related("subscriber__profile")
        .prefetch_related(Prefetch("items", queryset=DigestItem.objects.select_related("paper").order_by("rank")))
    }
    connection = connection or get_connection()
    opened = False
    counts: dict = {}
    try:
        for digest_id in digest_ids:
            digest = digests.get(digest_id)
            if digest is None or digest.subscriber.status != Subscriber.Status.ACTIVE or not _claim(digest_id):
                # Sent already, claimed by another worker, deleted, or the subscriber left.
                result.skipped.append(digest_id)
                continue
            try:
                message = digest_message(digest, counts=counts)
                if not opened:
                    connection.open()
                    opened = True
                message.connection = connection
                message.send()
            except Exception as exc:  # noqa: BLE001 - classified below; unknown errors re-raise
                failure = _classify(exc)
                if isinstance(failure, PermanentFailure):
                    logger.warning("digest %s to %s failed: %s", digest_id, digest.subscriber.email, failure)
                    _mark_permanent(digest, str(failure))
                    result.failed.append(digest_id)
                elif isinstance(failure, TemporaryFailure):
                    logger.info("digest %s to %s deferred: %s", digest_id, digest.subscriber.email, failure)
                    (result.retry if _mark_temporary(digest_id, str(failure)) else result.failed).append(digest_id)
                    if isinstance(exc, (smtplib.SMTPServerDisconnected, ConnectionError, socket.timeout)):
                        connection.close()
                        opened = False
                else:
                    _mark_temporary(digest_id, f"{type(exc).__name__}: {exc}")
                    raise
                continue
            _mark_sent(digest)
            result.sent.append(digest_id)
    finally:
        if opened:
            connection.close()
    return result


def digest_ids_to_send(*, edition_date=None) -> list[int]:
    """Pending digests, and ones whose sender vanished mid-send."""
    abandoned = timezone.now() - timedelta(seconds=settings.DIGEST_CLAIM_TIMEOUT)
    query = Digest.objects.filter(
        Q(status=Digest.Status.PENDING) | Q(status=Digest.Status.SENDING, claimed_at__lt=abandoned)
    )
    if edition_date is not None:
        query = query.filter(edition_date=edition_date)
    return list(query.order_by("pk").values_list("pk", flat=True))

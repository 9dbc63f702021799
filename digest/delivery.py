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
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import InterfaceError, OperationalError, transaction
from django.db import connection as db_connection
from django.db.models import F, Prefetch, Q
from django.utils import timezone

from core.chunks import chunked
from core.emails import email_build
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


def digest_context(
    digest: Digest, *, counts: dict | None = None, unsaved_items: list[DigestItem] | None = None
) -> dict:
    """Everything the digest templates need; shared by the email, the browser view and previews.

    `unsaved_items` stand in for `digest.items` when the digest is not saved (a preview).
    """
    subscriber = digest.subscriber
    profile = getattr(subscriber, "profile", None)
    items = []
    for item in digest.items.all() if unsaved_items is None else unsaved_items:
        paper = item.paper
        items.append(
            {
                "rank": item.rank,
                "paper": paper,
                "score": item.score,
                "why": item.why,
                # Source data is untrusted: only web links (never javascript: or data:).
                "link": paper.link if paper.link.lower().startswith(("https://", "http://")) else "",
                "authors": _authors(paper.authors),
                "source_label": SOURCE_LABELS.get(paper.source, paper.source),
                "more_url": links.feedback_url(subscriber, paper.pk, 1),
                "less_url": links.feedback_url(subscriber, paper.pk, -1),
            }
        )
    sections: dict[str, list[dict]] = {}
    for item in items:
        sections.setdefault(item["why"] or "Also new", []).append(item)
    # Numbered in reading order, section by section (ranks interleave across sections).
    for number, item in enumerate((item for group in sections.values() for item in group), start=1):
        item["number"] = number
    lines = (profile.interests if profile else "").splitlines()
    interests = " · ".join(" ".join(line.split()).lstrip("-•* ") for line in lines if line.strip())
    candidates = _candidate_count(digest, {} if counts is None else counts)
    period = "this week" if subscriber.frequency == Subscriber.Frequency.WEEKLY else "today"
    return {
        "email": subscriber.email,
        "edition_label": f"{digest.edition_date:%A} {digest.edition_date.day} {digest.edition_date:%B %Y}",
        "items": items,
        "sections": [{"label": label, "items": group} for label, group in sections.items()],
        "candidates": candidates,
        "period": period,
        # The "nothing new" note, for subscribers who asked for one (send_empty_note).
        "empty_message": (
            f"No new papers were announced {period}. We'll write again when there are."
            if candidates == 0
            else f"Nothing new matched your interests {period}. We'll write again when something does."
        ),
        "interests_summary": interests[:160] + ("…" if len(interests) > 160 else ""),
        "view_url": links.digest_url(subscriber, digest.pk) if digest.pk else "",
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


def digest_message(
    digest: Digest, *, counts: dict | None = None, unsaved_items: list[DigestItem] | None = None
):
    context = digest_context(digest, counts=counts, unsaved_items=unsaved_items)
    unsubscribe = context["unsubscribe_url"]
    list_unsubscribe = f"<{unsubscribe}>"
    mailto = links.unsubscribe_mailto(digest.subscriber)
    if mailto:
        list_unsubscribe += f", <{mailto}>"
    domain = settings.SITE_URL.split("://", 1)[-1].split("/")[0].split(":")[0] or "localhost"
    headers = {
        "List-Unsubscribe": list_unsubscribe,
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"{settings.SITE_NAME} daily digest <digest.{domain}>",
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "OOF, AutoReply",
    }
    message_id = message_id_for(digest) if digest.pk else None
    return email_build(
        "digest", to=digest.subscriber.email, context=context, headers=headers, message_id=message_id
    )


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
        text = "; ".join(
            f"{code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for code, msg in exc.recipients.values()
        )
        return TemporaryFailure(text) if all(400 <= c < 500 for c in codes) else PermanentFailure(text)
    if isinstance(exc, smtplib.SMTPResponseException):
        text = f"{exc.smtp_code} {exc.smtp_error.decode(errors='replace') if isinstance(exc.smtp_error, bytes) else exc.smtp_error}"
        return PermanentFailure(text) if 500 <= exc.smtp_code < 600 else TemporaryFailure(text)
    if isinstance(exc, AnymailRecipientsRefused):
        return PermanentFailure(str(exc))
    if isinstance(exc, (smtplib.SMTPException, socket.timeout, ConnectionError, OSError, AnymailError)):
        return TemporaryFailure(f"{type(exc).__name__}: {exc}")
    return exc


# Seconds between tries to record an accepted message when the database connection
# drops. The mail server already has the message, so a mark that gives up strands the
# claim and the digest goes out again after DIGEST_CLAIM_TIMEOUT: worth ~16 s of
# retrying. Keep the sum far below DIGEST_CLAIM_TIMEOUT, or another sender could
# reclaim the digest while this one is still trying.
MARK_SENT_RETRY_DELAYS = (0.1, 0.5, 1, 2, 4, 8)


def _mark_sent(digest: Digest) -> None:
    for delay in (*MARK_SENT_RETRY_DELAYS, None):
        try:
            Digest.objects.filter(pk=digest.pk, status=Digest.Status.SENDING).update(
                status=Digest.Status.SENT,
                sent_at=timezone.now(),
                message_id=message_id_for(digest),
                last_error="",
            )
            if digest.subscriber.bounce_count:  # loaded with the chunk: spares a query per digest
                Subscriber.objects.filter(pk=digest.subscriber_id, bounce_count__gt=0).update(bounce_count=0)
            return
        except (OperationalError, InterfaceError):
            # Inside a transaction a new connection cannot replay it; let the caller's handling decide.
            if delay is None or db_connection.in_atomic_block:
                raise
            logger.warning(
                "digest %s accepted but not yet marked sent: database unavailable, retrying", digest.pk
            )
            db_connection.close()
            time.sleep(delay)


def _mark_temporary(digest_id: int, reason: str) -> bool:
    """Back to pending for a retry; return False when attempts are exhausted (now failed)."""
    exhausted = Digest.objects.filter(pk=digest_id, attempts__gte=settings.DIGEST_MAX_ATTEMPTS).update(
        status=Digest.Status.FAILED, last_error=f"gave up after retries: {reason}"[:2000]
    )
    if exhausted:
        return False
    attempts = Digest.objects.filter(pk=digest_id).values_list("attempts", flat=True).first() or 1
    Digest.objects.filter(pk=digest_id, status=Digest.Status.SENDING).update(
        status=Digest.Status.PENDING,
        last_error=reason[:2000],
        retry_after=timezone.now() + timedelta(seconds=retry_delay(attempts - 1)),
    )
    return True


def retry_delay(retries: int) -> float:
    """Seconds to wait after the (retries + 1)-th temporary failure: 1, 2, 4, ... minutes by default."""
    return settings.DIGEST_RETRY_BASE_SECONDS * 2**retries


def _mark_permanent(digest: Digest, reason: str) -> None:
    Digest.objects.filter(pk=digest.pk).update(status=Digest.Status.FAILED, last_error=reason[:2000])
    Subscriber.objects.filter(pk=digest.subscriber_id).update(bounce_count=F("bounce_count") + 1)
    Subscriber.objects.filter(
        pk=digest.subscriber_id,
        bounce_count__gte=settings.DIGEST_BOUNCE_LIMIT,
        status=Subscriber.Status.ACTIVE,
    ).update(status=Subscriber.Status.BOUNCED)


def digests_send(*, digest_ids: list[int], connection=None) -> SendResult:
    """Send these digests over one connection. A failing address never stops the rest."""
    result = SendResult()
    digests = {
        d.pk: d
        for d in Digest.objects.filter(pk__in=digest_ids)
        .select_related("subscriber__profile")
        .prefetch_related(
            Prefetch("items", queryset=DigestItem.objects.select_related("paper").order_by("rank"))
        )
    }
    connection = connection or get_connection()
    opened = False
    counts: dict = {}
    try:
        for digest_id in digest_ids:
            digest = digests.get(digest_id)
            if (
                digest is None
                or digest.subscriber.status != Subscriber.Status.ACTIVE
                or not _claim(digest_id)
            ):
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
                    (result.retry if _mark_temporary(digest_id, str(failure)) else result.failed).append(
                        digest_id
                    )
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


def enqueue_sending(digest_ids: list[int]) -> None:
    """Queue send tasks for these digests once the rows that name them are committed."""
    from digest import tasks

    for chunk in chunked(digest_ids, settings.DIGEST_SEND_CHUNK_SIZE):
        transaction.on_commit(lambda chunk=chunk: tasks.send_digest_chunk.delay(chunk))


def digests_resend_failed(*, digest_ids: list[int]) -> list[int]:
    """Put failed digests back in the outbox and queue them; return the ids requeued.

    Only FAILED rows move (a conditional UPDATE), so a digest sent or being sent
    meanwhile is never sent twice. Attempts restart at zero: an operator's resend
    gets the full retry budget, or one more temporary error would fail it at once.
    """
    with transaction.atomic():
        failed = list(
            Digest.objects.select_for_update()
            .filter(pk__in=digest_ids, status=Digest.Status.FAILED)
            .values_list("pk", flat=True)
        )
        Digest.objects.filter(pk__in=failed, status=Digest.Status.FAILED).update(
            status=Digest.Status.PENDING, last_error="", attempts=0, claimed_at=None, retry_after=None
        )
        # enqueue_sending queues on commit, so workers only ever see the PENDING rows.
        enqueue_sending(failed)
    return failed


def digest_ids_to_send(*, edition_date=None) -> list[int]:
    """Pending digests not waiting out a retry delay, and ones whose sender vanished mid-send."""
    now = timezone.now()
    abandoned = now - timedelta(seconds=settings.DIGEST_CLAIM_TIMEOUT)
    query = Digest.objects.filter(
        Q(status=Digest.Status.PENDING, retry_after__isnull=True)
        | Q(status=Digest.Status.PENDING, retry_after__lte=now)
        | Q(status=Digest.Status.SENDING, claimed_at__lt=abandoned)
    )
    if edition_date is not None:
        query = query.filter(edition_date=edition_date)
    return list(query.order_by("pk").values_list("pk", flat=True))


def digest_preview_message(*, subscriber: Subscriber, edition_date):
    """The subscriber's digest for the date as the email it is (or would be); nothing is sent or saved.

    A digest already built for the date is rendered as built; otherwise the
    papers are picked now, the way the daily run would pick them.
    """
    from digest.scoring import digest_picks_preview

    digest = (
        Digest.objects.filter(subscriber=subscriber, edition_date=edition_date)
        .select_related("subscriber__profile")
        .prefetch_related(
            Prefetch("items", queryset=DigestItem.objects.select_related("paper").order_by("rank"))
        )
        .first()
    )
    if digest is not None:
        return digest_message(digest)
    picks = digest_picks_preview(subscriber, edition_date)
    items = [
        DigestItem(paper=paper, rank=rank, score=score, why=why[:300])
        for rank, (paper, score, why) in enumerate(picks, start=1)
    ]
    return digest_message(Digest(subscriber=subscriber, edition_date=edition_date), unsaved_items=items)

"""Send digests (rendered by digest.render). The Digest row is the outbox.

Each digest is claimed with a conditional UPDATE before its message is handed to
the mail server and marked sent only after the server accepted it, one message
at a time over one connection per chunk. The mark and the claim of the next
digest in the chunk are one statement (on PostgreSQL: two UPDATEs in one
autocommit round trip; elsewhere one transaction), so a sender holds at most one
claim at any instant: a worker that dies strands at most one digest (the one it
was sending, or the one it had just claimed), and that digest is claimable again
after DIGEST_CLAIM_TIMEOUT (at-least-once at the instant of an SMTP accept).
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
from digest.models import Digest, DigestItem
from digest.render import SharedRender, digest_message, message_id_for
from subscriptions.models import Subscriber
from subscriptions.services import subscriber_bounced

logger = logging.getLogger(__name__)


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


@dataclass
class _Chunk:
    """A send chunk as loaded, and how far through it the sender is."""

    ids: list[int]
    digests: dict[int, Digest]
    skipped: list[int]
    position: int = 0


def _mark_sent(digest: Digest) -> None:
    Digest.objects.filter(pk=digest.pk, status=Digest.Status.SENDING).update(
        status=Digest.Status.SENT,
        sent_at=timezone.now(),
        message_id=message_id_for(digest),
        last_error="",
    )
    if digest.subscriber.bounce_count:  # loaded with the chunk: spares a query per digest
        Subscriber.objects.filter(pk=digest.subscriber_id, bounce_count__gt=0).update(bounce_count=0)


def _next_candidate(chunk: "_Chunk") -> Digest | None:
    """The next digest of the chunk worth claiming; the ones that cannot or need not be sent are skipped."""
    while chunk.position < len(chunk.ids):
        digest_id = chunk.ids[chunk.position]
        chunk.position += 1
        digest = chunk.digests.get(digest_id)
        if digest is not None and digest.subscriber.status == Subscriber.Status.ACTIVE:
            return digest
        # Deleted, or the subscriber left.
        chunk.skipped.append(digest_id)
    return None


def _claim_next(chunk: "_Chunk") -> Digest | None:
    """Claim the next sendable digest of the chunk, skipping what cannot or need not be sent."""
    while (digest := _next_candidate(chunk)) is not None:
        if _claim(digest.pk):
            return digest
        # Sent already, or claimed by another worker.
        chunk.skipped.append(digest.pk)
    return None


# The mark of one digest and the claim of the next, in one statement: both UPDATEs
# commit together or not at all (a data-modifying WITH runs to completion whether or
# not the outer statement reads it), in one round trip instead of BEGIN, two UPDATEs
# and COMMIT. The WHERE clauses are _mark_sent's and _claim's. Changes to either
# should also be reflected here.
_MARK_AND_CLAIM_SQL = """
WITH marked AS (
    UPDATE digest_digest SET status = %(sent)s, sent_at = %(now)s, message_id = %(message_id)s, last_error = ''
    WHERE id = %(marked)s AND status = %(sending)s
)
UPDATE digest_digest SET status = %(sending)s, claimed_at = %(now)s, attempts = attempts + 1
WHERE id = %(claimed)s AND (status = %(pending)s OR (status = %(sending)s AND claimed_at < %(abandoned)s))
"""


def _mark_and_claim(digest: Digest, chunk: "_Chunk") -> Digest | None:
    if db_connection.vendor != "postgresql" or digest.subscriber.bounce_count:
        # No data-modifying WITH here, or a bounce count to reset as well (rare): one transaction.
        with transaction.atomic():
            _mark_sent(digest)
            return _claim_next(chunk)
    candidate = _next_candidate(chunk)
    if candidate is None:
        _mark_sent(digest)
        return None
    now = timezone.now()
    with db_connection.cursor() as cursor:
        cursor.execute(
            _MARK_AND_CLAIM_SQL,
            {
                "sent": Digest.Status.SENT.value,
                "sending": Digest.Status.SENDING.value,
                "pending": Digest.Status.PENDING.value,
                "now": now,
                "abandoned": now - timedelta(seconds=settings.DIGEST_CLAIM_TIMEOUT),
                "message_id": message_id_for(digest),
                "marked": digest.pk,
                "claimed": candidate.pk,
            },
        )
        claimed = cursor.rowcount == 1
    if claimed:
        return candidate
    # Sent already, or claimed by another worker: the ones after it are claimed alone.
    chunk.skipped.append(candidate.pk)
    return _claim_next(chunk)


def _mark_sent_and_claim_next(digest: Digest, chunk: "_Chunk") -> Digest | None:
    """Record an accepted message and claim the next digest in one commit.

    Retried on a fresh connection when the database drops: the mail server
    already has the message, so a mark that gives up strands the claim and the
    digest goes out again after DIGEST_CLAIM_TIMEOUT.
    """
    position, skipped = chunk.position, len(chunk.skipped)
    for delay in (*MARK_SENT_RETRY_DELAYS, None):
        try:
            return _mark_and_claim(digest, chunk)
        except (OperationalError, InterfaceError):
            # Inside a caller's transaction a new connection cannot replay it; let the caller's handling decide.
            if delay is None or db_connection.in_atomic_block:
                raise
            logger.warning(
                "digest %s accepted but not yet marked sent: database unavailable, retrying", digest.pk
            )
            # The statement (or transaction) rolled back: the claims it made never happened.
            chunk.position = position
            del chunk.skipped[skipped:]
            db_connection.close()
            time.sleep(delay)
    raise AssertionError("unreachable: the last try re-raises")


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
    # A 5xx answer is one bounce, counted like the provider's: the subscriptions service stops the
    # address at DIGEST_BOUNCE_LIMIT, whatever its status now (the reader may have paused mid-send).
    subscriber_bounced(email=digest.subscriber.email, permanent=False)


def _load_chunk(digest_ids: list[int]) -> dict[int, Digest]:
    """The chunk's digests with their subscribers, profiles, items and papers: three queries.

    Readers of a day share most of their papers, so each paper is loaded once
    per chunk and its items share one instance (digest.render computes a
    paper's part of the email once per chunk).
    """
    return {
        d.pk: d
        for d in Digest.objects.filter(pk__in=digest_ids)
        .select_related("subscriber__profile")
        # The profile's cached vectors are ~6 KB a row and no part of an email.
        .defer("subscriber__profile__vectors", "subscriber__profile__vectors_layout")
        # The paper's extra source data holds its links and thumbnail (digest.paper_links).
        .prefetch_related(Prefetch("items", queryset=DigestItem.objects.order_by("rank")), "items__paper")
    }


def digests_send(*, digest_ids: list[int], connection=None) -> SendResult:
    """Send these digests over one connection. A failing address never stops the rest."""
    result = SendResult()
    chunk = _Chunk(ids=list(digest_ids), digests=_load_chunk(digest_ids), skipped=result.skipped)
    connection = connection or get_connection()
    opened = False
    shared = SharedRender()
    try:
        digest = _claim_next(chunk)
        while digest is not None:
            digest_id = digest.pk
            try:
                message = digest_message(digest, shared=shared)
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
                digest = _claim_next(chunk)
                continue
            next_digest = _mark_sent_and_claim_next(digest, chunk)
            result.sent.append(digest_id)
            digest = next_digest
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

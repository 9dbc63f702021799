"""One message of every kind the service sends, built the way production builds them.

Shared by the email layout browser test and the SpamAssassin test.
"""

from datetime import date

from django.core import mail
from django.test import TestCase

from digest.build import trending_why
from digest.models import Digest
from digest.render import digest_message
from subscriptions import services
from subscriptions.models import Subscriber
from tests.factories import DigestFactory, DigestItemFactory, PaperFactory, SubscriberFactory

EDITION = date(2026, 6, 12)
THUMB = "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{}.png"
SIGNUP = {
    "interests": "Graph neural networks for molecules\nProtein design with diffusion models",
    "exclusions": "medical imaging",
    "seed_papers": "",
    "frequency": "daily",
    "weekly_day": 0,
    "send_hour": 7,
    "timezone": "Europe/Berlin",
    "digest_size": 5,
}
LONG_TITLE = "Supercalifragilisticexpialidocious-EquivariantMessagePassingNetworksForMolecules at scale"


def _paper(n: int, **fields):
    arxiv_id = f"2606.{n:05d}"
    return PaperFactory(
        external_id=arxiv_id,
        source="hf_daily",
        url=f"https://arxiv.org/abs/{arxiv_id}",
        pdf_url=f"https://arxiv.org/pdf/{arxiv_id}",
        announced_on=EDITION,
        upvotes=fields.pop("upvotes", n * 7),
        num_comments=n % 3,
        authors=["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"],
        abstract="We propose an equivariant network that predicts molecular properties. " * 6,
        extra={
            "hf_url": f"https://huggingface.co/papers/{arxiv_id}",
            "github_repo": f"https://github.com/example/repo-{n}",
            "thumbnail": THUMB.format(arxiv_id),
        },
        **fields,
    )


def _on_commit(callback):
    """Run `callback` and the tasks it queues after commit (the confirmation emails)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return callback()


def messages_of_every_kind() -> dict[str, mail.EmailMessage]:
    """{kind: message}; needs the locmem email backend and eager Celery (the test settings)."""
    messages = {}
    start = len(mail.outbox)
    _on_commit(lambda: services.subscriber_signup(email="new@example.org", data=SIGNUP))
    messages["confirm"] = mail.outbox[start]

    reader = SubscriberFactory(email="ada@example.org", status=Subscriber.Status.ACTIVE)
    start = len(mail.outbox)
    _on_commit(lambda: services.subscriber_signup(email="ada@example.org", data=SIGNUP))
    messages["confirm-update"] = mail.outbox[start]

    start = len(mail.outbox)
    _on_commit(
        lambda: services.subscriber_email_change_request(subscriber=reader, new_email="ada@new.example.org")
    )
    messages["email-change"] = mail.outbox[start]

    digest = DigestFactory(subscriber=reader, edition_date=EDITION)
    for rank in range(1, 6):
        title = LONG_TITLE if rank == 1 else f"Equivariant message passing for molecules, part {rank}"
        DigestItemFactory(
            digest=digest,
            rank=rank,
            score=0.8 - rank / 20,
            why="Graph neural networks for molecules",
            paper=_paper(rank, title=title),
        )
    for rank, upvotes in ((6, 212), (7, 1)):
        DigestItemFactory(
            digest=digest,
            rank=rank,
            score=0.0,
            why=trending_why(upvotes),
            trending=True,
            paper=_paper(rank, title=f"A paper everyone upvoted, number {rank}", upvotes=upvotes),
        )
    messages["digest"] = digest_message(digest)

    trending_only = DigestFactory(
        subscriber=SubscriberFactory(email="niche@example.org"), edition_date=EDITION
    )
    DigestItemFactory(
        digest=trending_only,
        rank=1,
        score=0.0,
        why=trending_why(212),
        trending=True,
        paper=_paper(8, title="A paper everyone upvoted", upvotes=212),
    )
    messages["digest-trending-only"] = digest_message(trending_only)

    quiet = SubscriberFactory(email="quiet@example.org", send_empty_note=True)
    messages["digest-empty"] = digest_message(DigestFactory(subscriber=quiet, edition_date=EDITION))
    assert not Digest.objects.filter(status=Digest.Status.SENT).exists()
    return messages


def html_of(message) -> str:
    return next(body for body, mime in message.alternatives if mime == "text/html")

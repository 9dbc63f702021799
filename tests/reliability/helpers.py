"""Data and counting shared by the fault-injection tests."""

from collections import Counter

from digest.models import Digest
from tests.factories import DigestFactory, DigestItemFactory, PaperFactory, SubscriberFactory


def due_digests(count: int) -> list[Digest]:
    """`count` subscribers, each with a built, pending digest of one paper for today."""
    paper = PaperFactory()
    digests = []
    for subscriber in SubscriberFactory.create_batch(count):
        digest = DigestFactory(subscriber=subscriber)
        DigestItemFactory(digest=digest, paper=paper, rank=1)
        digests.append(digest)
    return digests


def received(server) -> Counter:
    """Messages the SMTP server accepted, per recipient."""
    return Counter(str(message["To"]) for message in server.messages)


def statuses(digests: list[Digest]) -> Counter:
    return Counter(Digest.objects.filter(pk__in=[d.pk for d in digests]).values_list("status", flat=True))


def all_sent(digests: list[Digest]) -> bool:
    return statuses(digests) == Counter({Digest.Status.SENT: len(digests)})

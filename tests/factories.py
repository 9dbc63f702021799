"""factory_boy factories for every model; tests build only the fields they care about."""

from datetime import date

import factory
from django.utils import timezone

from digest.models import DailyRun, Digest, DigestItem, IngestRun, Paper
from subscriptions.models import Feedback, Subscriber, TopicProfile


class PaperFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Paper

    arxiv_id = factory.Sequence(lambda n: f"2501.{n:05d}")
    external_id = factory.LazyAttribute(lambda o: o.arxiv_id or f"test:{o.title_key}")
    title = factory.Sequence(lambda n: f"A study of sparse attention, part {n}")
    title_key = factory.LazyAttribute(lambda o: "".join(ch for ch in o.title.lower() if ch.isalnum())[:300])
    abstract = factory.Faker("paragraph")
    authors = factory.LazyFunction(lambda: ["Ada Lovelace", "Alan Turing"])
    url = factory.LazyAttribute(lambda o: f"https://arxiv.org/abs/{o.arxiv_id}" if o.arxiv_id else "")
    announced_on = factory.LazyFunction(date.today)
    source = "file"
    sources = factory.LazyAttribute(lambda o: [o.source])


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscriber

    email = factory.Sequence(lambda n: f"reader{n}@example.org")
    status = Subscriber.Status.ACTIVE
    confirmed_at = factory.LazyAttribute(lambda o: timezone.now() if o.status != Subscriber.Status.PENDING else None)


class TopicProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TopicProfile

    subscriber = factory.SubFactory(SubscriberFactory)
    interests = "retrieval-augmented generation\nefficient transformers"


class DigestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Digest

    subscriber = factory.SubFactory(SubscriberFactory)
    edition_date = factory.LazyFunction(date.today)
    status = Digest.Status.SENT
    # The model requires sent_at on sent digests (digest_sent_has_sent_at).
    sent_at = factory.LazyAttribute(lambda o: timezone.now() if o.status == Digest.Status.SENT else None)
    attempts = factory.LazyAttribute(lambda o: 1 if o.status in (Digest.Status.SENT, Digest.Status.FAILED) else 0)


class DigestItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DigestItem

    digest = factory.SubFactory(DigestFactory)
    paper = factory.SubFactory(PaperFactory)
    rank = factory.Sequence(lambda n: n + 1)
    score = 0.5
    why = "efficient transformers"


class IngestRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IngestRun

    source = "file"
    params = factory.LazyFunction(dict)
    status = IngestRun.Status.SUCCEEDED
    finished_at = factory.LazyFunction(timezone.now)
    fetched = 10
    created = 8
    updated = 1
    unchanged = 1


class DailyRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DailyRun

    edition_date = factory.LazyFunction(date.today)
    slot = "all"
    status = DailyRun.Status.SUCCEEDED
    finished_at = factory.LazyFunction(timezone.now)
    papers = 40
    subscribers = 10
    digests_built = 9
    digests_skipped = 1


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feedback

    subscriber = factory.SubFactory(SubscriberFactory)
    paper = factory.SubFactory(PaperFactory)
    signal = Feedback.Signal.MORE

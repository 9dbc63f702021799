"""factory_boy factories shared by the whole suite."""

import datetime

import factory
from django.utils import timezone

from digest.models import DailyRun, Digest, DigestItem, IngestRun, Paper
from subscriptions.models import Feedback, Subscriber, TopicProfile


class PaperFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Paper

    title = factory.Sequence(lambda n: f"A study of topic number {n}")
    title_key = factory.LazyAttribute(lambda o: "".join(ch for ch in o.title.lower() if ch.isalnum()))
    external_id = factory.Sequence(lambda n: f"2611.{n:05d}")
    arxiv_id = factory.LazyAttribute(lambda o: o.external_id)
    abstract = factory.Faker("paragraph", nb_sentences=5)
    authors = factory.LazyFunction(lambda: ["Ada Lovelace", "Alan Turing"])
    announced_on = factory.LazyFunction(lambda: timezone.now().date())
    source = "arxiv_api"
    sources = factory.LazyAttribute(lambda o: [o.source])


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscriber
        # The profile is created by its own factory with this subscriber as its
        # foreign key; nothing on the subscriber changes, so no second save.
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"reader{n}@example.org")
    status = Subscriber.Status.ACTIVE
    confirmed_at = factory.LazyFunction(timezone.now)
    # Most tests count picks of made-up papers, which rarely clear the recommended threshold:
    # they take the top N; tests of the threshold itself ask for RECOMMENDED.
    threshold_mode = Subscriber.ThresholdMode.TOP_N
    # Every subscriber has a profile; pass profile=None to make one yourself.
    profile = factory.RelatedFactory("tests.factories.TopicProfileFactory", factory_related_name="subscriber")


class TopicProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TopicProfile

    subscriber = factory.SubFactory(SubscriberFactory, profile=None)
    interests = "Graph neural networks for molecules"


class DigestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Digest

    subscriber = factory.SubFactory(SubscriberFactory)
    edition_date = factory.LazyFunction(lambda: timezone.now().date())
    status = Digest.Status.PENDING
    # The model requires sent_at on sent digests (digest_sent_has_sent_at).
    sent_at = factory.LazyAttribute(lambda o: timezone.now() if o.status == Digest.Status.SENT else None)


class DigestItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DigestItem

    digest = factory.SubFactory(DigestFactory)
    paper = factory.SubFactory(PaperFactory)
    rank = factory.Sequence(lambda n: n + 1)
    score = 0.5
    why = "dense retrieval for search engines"


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feedback

    subscriber = factory.SubFactory(SubscriberFactory)
    paper = factory.SubFactory(PaperFactory)
    signal = Feedback.Signal.MORE


class IngestRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IngestRun

    source = "arxiv_rss"
    status = IngestRun.Status.SUCCEEDED
    finished_at = factory.LazyFunction(timezone.now)


class DailyRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DailyRun

    edition_date = factory.LazyFunction(lambda: timezone.now().date() - datetime.timedelta(days=0))
    slot = "all"
    status = DailyRun.Status.SUCCEEDED
    finished_at = factory.LazyFunction(timezone.now)

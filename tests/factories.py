"""factory_boy factories for the models tests touch most."""

import datetime

import factory
from django.utils import timezone

from digest.models import Digest, DigestItem, Paper
from subscriptions.models import Feedback, Subscriber, TopicProfile


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscriber

    email = factory.Sequence(lambda n: f"reader{n}@example.org")
    status = Subscriber.Status.ACTIVE
    confirmed_at = factory.LazyFunction(timezone.now)
    profile = factory.RelatedFactory("tests.factories.TopicProfileFactory", factory_related_name="subscriber")


class TopicProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TopicProfile

    subscriber = factory.SubFactory(SubscriberFactory, profile=None)
    interests = "Graph neural networks for molecules"


class PaperFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Paper

    external_id = factory.Sequence(lambda n: f"2401.{n:05d}")
    arxiv_id = factory.SelfAttribute("external_id")
    title = factory.Sequence(lambda n: f"A paper about molecules, part {n}")
    title_key = factory.LazyAttribute(lambda o: "".join(ch for ch in o.title.lower() if ch.isalnum()))
    abstract = "We study molecules with graphs."
    announced_on = factory.LazyFunction(datetime.date.today)
    source = "arxiv"


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feedback

    subscriber = factory.SubFactory(SubscriberFactory)
    paper = factory.SubFactory(PaperFactory)
    signal = Feedback.Signal.MORE


class DigestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Digest

    subscriber = factory.SubFactory(SubscriberFactory)
    edition_date = factory.LazyFunction(datetime.date.today)
    status = Digest.Status.SENT
    sent_at = factory.LazyFunction(timezone.now)


class DigestItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DigestItem

    digest = factory.SubFactory(DigestFactory)
    paper = factory.SubFactory(PaperFactory)
    rank = factory.Sequence(lambda n: n + 1)
    score = 0.8
    why = "Graph neural networks for molecules"

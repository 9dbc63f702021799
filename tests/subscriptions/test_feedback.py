"""Feedback links change nothing on GET; a person's click takes one more click and can be undone (issue 15, item 7)."""

import re

import pytest
from django.test import Client

from subscriptions import links
from subscriptions.models import Feedback
from tests.factories import PaperFactory, SubscriberFactory
from tests.subscriptions.helpers import path_of

pytestmark = pytest.mark.django_db


def test_opening_a_feedback_link_records_nothing():
    """A link scanner fetches every link of a mail (and some run the page's scripts)."""
    subscriber = SubscriberFactory()
    paper = PaperFactory()
    scanner = Client()
    for signal in (1, -1):
        response = scanner.get(path_of(links.feedback_url(subscriber, paper.pk, signal)))
        assert response.status_code == 200
        page = response.content.decode()
        assert "<script" not in page, "no script that could submit the form for a scanner"
        assert re.search(r'<form method="post">', page) and "Yes," in page
    assert scanner.head(path_of(links.feedback_url(subscriber, paper.pk, 1))).status_code in (200, 405)
    assert not Feedback.objects.exists()


def test_one_click_on_the_landing_page_records_and_undo_forgets(client):
    subscriber = SubscriberFactory()
    paper = PaperFactory()
    url = path_of(links.feedback_url(subscriber, paper.pk, -1))

    response = client.post(url)

    assert response.status_code == 200 and b"Undo" in response.content
    assert Feedback.objects.get(subscriber=subscriber, paper=paper).signal == -1
    client.post(url + "undo/")
    assert not Feedback.objects.exists()


def test_the_landing_page_links_onward_to_the_paper_and_the_preferences(client):
    subscriber = SubscriberFactory()
    paper = PaperFactory(url="https://arxiv.org/abs/2611.00001")
    page = client.get(path_of(links.feedback_url(subscriber, paper.pk, 1))).content.decode()
    assert 'href="https://arxiv.org/abs/2611.00001"' in page
    assert re.search(r'href="http://testserver/preferences/[^"]+/"', page)


def test_a_javascript_paper_url_is_not_a_link_on_the_landing_page(client):
    subscriber = SubscriberFactory()
    paper = PaperFactory(url="javascript:alert(document.cookie)", arxiv_id=None)
    page = client.get(path_of(links.feedback_url(subscriber, paper.pk, 1))).content.decode()
    assert "javascript:" not in page

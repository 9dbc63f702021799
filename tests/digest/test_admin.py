from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from digest import embedding, tasks
from digest.models import Digest, IngestRun, PaperEmbedding
from subscriptions.models import PendingChange, Subscriber
from tests.factories import (
    DailyRunFactory,
    DigestFactory,
    DigestItemFactory,
    FeedbackFactory,
    IngestRunFactory,
    PaperFactory,
    SubscriberFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "pw"))
    return client


def act(client, model: str, action: str, ids: list[int]):
    url = reverse(f"admin:{model}_changelist")
    return client.post(url, {"action": action, "_selected_action": ids}, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    "model",
    [
        "digest_paper",
        "digest_paperembedding",
        "digest_ingestrun",
        "digest_dailyrun",
        "digest_digest",
        "digest_digestitem",
        "subscriptions_subscriber",
        "subscriptions_topicprofile",
        "subscriptions_feedback",
        "subscriptions_pendingchange",
        "subscriptions_subscriberstatuschange",
        "subscriptions_consentrecord",
    ],
)
def test_it_lists_searches_and_filters_every_model(admin_client, model):
    item = DigestItemFactory()
    FeedbackFactory(subscriber=item.digest.subscriber, paper=item.paper)
    IngestRunFactory()
    DailyRunFactory()
    PaperEmbedding.objects.create(paper=item.paper, model_name="m", dim=1, vector=b"\0\0\0\0")
    PendingChange.objects.create(subscriber=item.digest.subscriber, data={"interests": "x"})
    url = reverse(f"admin:{model}_changelist")

    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "example"}).status_code == 200


def test_every_model_has_an_admin():
    from django.apps import apps
    from django.contrib.admin import site

    models = [m for name in ("digest", "subscriptions") for m in apps.get_app_config(name).get_models()]
    assert [m.__name__ for m in models if m not in site._registry] == []


def test_it_shows_a_subscribers_status_history_read_only(admin_client):
    subscriber = SubscriberFactory()
    Subscriber.objects.filter(pk=subscriber.pk).update(status=Subscriber.Status.PAUSED)

    page = admin_client.get(
        reverse("admin:subscriptions_subscriber_change", args=[subscriber.pk])
    ).content.decode()

    assert "Status changes" in page or "status changes" in page
    history = reverse("admin:subscriptions_subscriberstatuschange_changelist")
    assert admin_client.get(history, {"status__exact": "paused"}).status_code == 200
    assert admin_client.get(reverse("admin:subscriptions_subscriberstatuschange_add")).status_code == 403


def test_it_opens_a_digest_with_its_items_inline(admin_client):
    item = DigestItemFactory(why="diffusion models")

    response = admin_client.get(reverse("admin:digest_digest_change", args=[item.digest.pk]))

    assert b"diffusion models" in response.content


def test_it_pauses_only_active_subscribers(admin_client):
    active = SubscriberFactory()
    unsubscribed = SubscriberFactory(status=Subscriber.Status.UNSUBSCRIBED)

    response = act(admin_client, "subscriptions_subscriber", "pause", [active.pk, unsubscribed.pk])

    active.refresh_from_db(), unsubscribed.refresh_from_db()
    assert (active.status, unsubscribed.status) == (Subscriber.Status.PAUSED, Subscriber.Status.UNSUBSCRIBED)
    assert "Paused 1 subscribers." in messages_of(response)


def test_it_requeues_failed_digests_and_leaves_the_others(
    admin_client, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(tasks.send_digest_chunk, "delay", queued.extend)
    failed = DigestFactory(status=Digest.Status.FAILED, last_error="550 mailbox full", attempts=5)
    sent = DigestFactory(status=Digest.Status.SENT)

    with django_capture_on_commit_callbacks(execute=True):
        response = act(admin_client, "digest_digest", "resend_failed", [failed.pk, sent.pk])

    failed.refresh_from_db(), sent.refresh_from_db()
    assert (failed.status, failed.last_error, failed.attempts) == (Digest.Status.PENDING, "", 0)
    assert sent.status == Digest.Status.SENT
    assert queued == [failed.pk]
    assert (
        "Queued 1 failed digests for sending. 1 selected were not failed and were left alone."
        in messages_of(response)
    )


def test_it_replaces_the_current_models_vectors_when_re_embedding(admin_client, monkeypatch):
    paper, other = PaperFactory(), PaperFactory()
    for p in (paper, other):
        PaperEmbedding.objects.create(paper=p, model_name=embedding.model_name(), dim=1, vector=b"\0\0\0\0")
    PaperEmbedding.objects.create(paper=paper, model_name="old-model", dim=1, vector=b"\0\0\0\0")
    embedded = []
    monkeypatch.setattr(
        embedding, "papers_embed", lambda *, paper_ids: embedded.extend(paper_ids) or len(paper_ids)
    )

    response = act(admin_client, "digest_paper", "reembed", [paper.pk])

    assert embedded == [paper.pk]
    assert set(PaperEmbedding.objects.values_list("paper_id", "model_name")) == {
        (paper.pk, "old-model"),
        (other.pk, embedding.model_name()),
    }
    assert f"Re-embedded 1 papers with {embedding.model_name()}." in messages_of(response)


def _capture_ingest(monkeypatch):
    calls = []

    def ingest_source(source, **kwargs):
        calls.append((source, kwargs))
        return IngestRunFactory(source=source, created=4, updated=1)

    monkeypatch.setattr("digest.ingest.ingest_source", ingest_source)
    return calls


def test_it_re_runs_an_ingest_with_the_runs_day_and_file(admin_client, monkeypatch, settings, tmp_path):
    settings.INGEST_RERUN_DIRS = [str(tmp_path)]
    saved = tmp_path / "papers.jsonl"
    run = IngestRunFactory(source="file", params={"day": "2026-02-03", "path": str(saved)})
    calls = _capture_ingest(monkeypatch)

    response = act(admin_client, "digest_ingestrun", "rerun", [run.pk])

    assert calls == [
        ("file", {"day": date(2026, 2, 3), "path": saved, "query": "", "ids": [], "categories": []})
    ]
    assert "file: succeeded, 4 created, 1 updated, 0 failed." in messages_of(response)


def test_it_re_runs_an_arxiv_query_with_its_query_ids_and_categories(admin_client, monkeypatch):
    params = {"query": "cat:cs.LG AND ti:diffusion", "ids": ["2401.00001"], "categories": ["cs.LG"]}
    run = IngestRunFactory(source="arxiv_api", params=params)
    calls = _capture_ingest(monkeypatch)

    response = act(admin_client, "digest_ingestrun", "rerun", [run.pk])

    assert response.status_code == 200
    assert calls == [("arxiv_api", {"day": None, "path": None, **params})]


def test_a_re_run_never_reads_a_file_outside_the_allowed_folders(admin_client, settings, tmp_path):
    settings.INGEST_RERUN_DIRS = [str(tmp_path / "ingest")]
    secret = tmp_path / "secret_key"
    secret.write_text("the-secret-line\n")
    run = IngestRunFactory(source="hf_page", params={"path": str(secret)})
    sneaky = IngestRunFactory(
        source="hf_page", params={"path": str(tmp_path / "ingest" / ".." / "secret_key")}
    )

    response = act(admin_client, "digest_ingestrun", "rerun", [run.pk, sneaky.pk])

    assert response.status_code == 200
    refusals = messages_of(response)
    assert len(refusals) == 2 and all("outside the folders re-runs may read" in m for m in refusals)
    assert IngestRun.objects.count() == 2, "no run was started"
    assert "the-secret-line" not in str(list(IngestRun.objects.values_list("errors", flat=True)))


def test_ingest_runs_cannot_be_added_or_edited_in_the_admin(admin_client):
    run = IngestRunFactory(source="file", params={"path": "/data/papers.jsonl"})
    assert admin_client.get(reverse("admin:digest_ingestrun_add")).status_code == 403
    admin_client.post(
        reverse("admin:digest_ingestrun_change", args=[run.pk]),
        {"source": "hf_page", "params": '{"path": "/etc/passwd"}', "status": "succeeded"},
    )
    run.refresh_from_db()
    assert (run.source, run.params) == ("file", {"path": "/data/papers.jsonl"})


@pytest.mark.parametrize(
    "model, action",
    [("digest_paper", "reembed"), ("digest_ingestrun", "rerun"), ("digest_digest", "resend_failed")],
)
def test_a_view_only_staff_user_is_offered_no_action_and_runs_none(
    client, django_user_model, monkeypatch, model, action
):
    app, name = model.split("_", 1)
    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label=app, codename=f"view_{name}"))
    client.force_login(user)
    ran = []
    for target in (
        "digest.embedding.papers_reembed",
        "digest.ingest.ingest_rerun",
        "digest.delivery.digests_resend_failed",
    ):
        monkeypatch.setattr(target, lambda *args, target=target, **kwargs: ran.append(target))
    row = {
        "digest_paper": PaperFactory,
        "digest_ingestrun": IngestRunFactory,
        "digest_digest": DigestFactory,
    }[model]()

    page = client.get(reverse(f"admin:{model}_changelist"))
    assert page.status_code == 200 and f'value="{action}"'.encode() not in page.content
    act(client, model, action, [row.pk])

    assert ran == []


def test_every_admin_action_declares_the_permission_it_needs():
    from django.contrib.admin import site

    for model, model_admin in site._registry.items():
        if model._meta.app_label not in ("digest", "subscriptions"):
            continue
        for action in model_admin.actions or ():
            function = getattr(model_admin, action) if isinstance(action, str) else action
            assert getattr(function, "allowed_permissions", ()), (
                f"{model.__name__}.{action} needs permissions="
            )

"""Web processes load the model and the day's papers before the first preview (real bundled model)."""

import runpy
import sys
import threading

import pytest
from django.apps import apps
from django.conf import settings
from django.utils import timezone

from digest import candidates, embedding, warmup
from tests.factories import PaperFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def cold_process():
    """Today's papers in the database; nothing loaded in this process."""
    papers = [
        PaperFactory(title=title, announced_on=timezone.localdate())
        for title in ("Retrieval-augmented generation at scale", "Vision-language models for charts")
    ]
    candidates._paper_sets.clear()
    embedding._load_model.cache_clear()
    embedding._embed_small.cache_clear()
    warmup.warmed.clear()
    yield papers
    candidates._paper_sets.clear()


def _warmed_paper_ids() -> set[int]:
    """Papers of the edition's window and of the week's ("a typical day"): the preview's two sets."""
    windows = list(candidates._paper_sets.values())
    assert len(windows) == 2
    assert all(days.keys() == {int(pid) for pid in papers.ids} for papers, days in windows)
    papers, _ = windows[0]
    assert papers._lexical is not None  # the BM25 index was built, not only the rows loaded
    return {int(pid) for pid in papers.ids}


class _Worker:
    """What gunicorn hands post_worker_init: a heartbeat and a log."""

    def __init__(self):
        self.log = _Log()

    def notify(self):
        pass


class _Log:
    def exception(self, *args):
        raise AssertionError(args)


def test_a_gunicorn_worker_loads_the_model_and_the_days_papers_before_serving(cold_process):
    config = runpy.run_path(str(settings.BASE_DIR / "deploy" / "gunicorn.conf.py"))

    config["post_worker_init"](_Worker())

    assert warmup.warmed.is_set()
    assert embedding._load_model.cache_info().currsize == 1
    assert _warmed_paper_ids() == {paper.pk for paper in cold_process}


def test_the_development_server_warms_up_in_a_background_thread(cold_process, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["manage.py", "runserver"])
    monkeypatch.setenv("RUN_MAIN", "true")

    apps.get_app_config("digest").ready()

    [thread] = [t for t in threading.enumerate() if t.name == "web-warm-up"]
    thread.join(timeout=300)
    assert warmup.warmed.is_set()
    assert _warmed_paper_ids() == {paper.pk for paper in cold_process}


@pytest.mark.parametrize(
    ("argv", "run_main"),
    [(["manage.py", "runserver"], None), (["manage.py", "migrate"], "true"), (["celery", "worker"], None)],
)
def test_other_processes_and_the_reloaders_watcher_do_not_warm_up(cold_process, monkeypatch, argv, run_main):
    monkeypatch.setattr(sys, "argv", argv)
    if run_main:
        monkeypatch.setenv("RUN_MAIN", run_main)
    else:
        monkeypatch.delenv("RUN_MAIN", raising=False)

    apps.get_app_config("digest").ready()

    assert not [t for t in threading.enumerate() if t.name == "web-warm-up"]
    assert embedding._load_model.cache_info().currsize == 0

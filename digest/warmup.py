"""Load what a sign-up preview needs before the first visitor asks: the model, the day's papers, the week's.

A web process that starts cold makes its first preview wait for torch, the
model weights, the first encode, the day's PaperSet and its BM25 index (8-28 s
measured), and the week's PaperSet behind "a typical day brings N papers". Gunicorn runs `web_warm_up` in each worker before it accepts
requests (gunicorn.conf.py, post_worker_init); the development server runs it
in a background thread (DigestConfig.ready). Celery workers do not: a build
chunk loads the same things on its own and amortises them over 1,000 readers.
"""

import logging
import threading
import time

from django.urls import resolve

from digest.build import papers_per_day, picks_for_interests
from digest.embedding import embed_texts

logger = logging.getLogger(__name__)

# Runs the whole preview path once: facets, the summary, an exclusion.
WARM_UP_INTERESTS = "retrieval-augmented generation\nvision-language models"
WARM_UP_EXCLUSIONS = "not surveys"

# Set once a warm-up has finished in this process (for the health of a deploy and for tests).
warmed = threading.Event()


def web_warm_up() -> None:
    """Load the model, run its first encode, and run one preview: the day's picks and a typical day's count."""
    started = time.perf_counter()
    embed_texts(["warm-up"])  # imports torch, loads the weights, pays the first call's lazy init
    picks_for_interests(interests=WARM_UP_INTERESTS, exclusions=WARM_UP_EXCLUSIONS)
    papers_per_day(interests=WARM_UP_INTERESTS, exclusions=WARM_UP_EXCLUSIONS, size=5)
    # Django imports the URLconf, and with it every view module, on a process's first request:
    # ~60 ms that the first visitor would pay (measured: first preview 112 ms, second 49 ms).
    resolve("/preview")
    warmed.set()
    logger.info("web warm-up done in %.1f s", time.perf_counter() - started)


def web_warm_up_in_background() -> threading.Thread:
    """The development server's warm-up: a daemon thread, so the server answers at once."""
    thread = threading.Thread(target=_warm_up_logged, name="web-warm-up", daemon=True)
    thread.start()
    return thread


def _warm_up_logged() -> None:
    try:
        web_warm_up()
    except Exception:  # noqa: BLE001 - a failed warm-up only means the first preview loads cold
        logger.exception("web warm-up failed; the first preview will load the model itself")

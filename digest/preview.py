"""Live preview for the sign-up page: what today's digest would hold for some interests text.

The candidate PaperSet (vectors, lexical index) is built once per process and
reused until the corpus changes, so a call only embeds the interests text.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import numpy as np

from digest import ranking
from digest.embedding import embed_texts, model_name, papers_embed, vectors_for_papers
from digest.models import Paper
from digest.ranking import paper_text

# Papers announced in the last week are "today's digest" for a preview: a
# newcomer should see what a typical digest looks like, not one thin day.
PREVIEW_DAYS = 7
# With nothing that recent (a demo database, a quiet week), preview the newest papers.
PREVIEW_FALLBACK_PAPERS = 2000

_lock = threading.Lock()
_cache: dict[tuple, tuple[ranking.PaperSet, list[str]]] = {}


def _candidates() -> tuple[ranking.PaperSet, list[str]]:
    latest = Paper.objects.order_by("-announced_on", "-id").values_list("announced_on", flat=True).first()
    if latest is None:
        return ranking.PaperSet(np.zeros(0, np.int64), [], [], np.zeros((0, 1), np.float32), np.zeros(0)), []
    recent = Paper.objects.filter(announced_on__gte=latest - timedelta(days=PREVIEW_DAYS))
    if not recent.exists():
        recent = Paper.objects.all()
    ids = list(recent.order_by("-announced_on", "-id").values_list("id", flat=True)[:PREVIEW_FALLBACK_PAPERS])
    stats = Paper.objects.filter(id__in=ids).order_by("-id").values_list("id", flat=True)
    key = (model_name(), latest, stats.first(), len(ids))
    with _lock:
        if key in _cache:
            return _cache[key]
    vectors = vectors_for_papers(ids)
    missing = [pid for pid in ids if pid not in vectors]
    if missing:
        papers_embed(paper_ids=missing)
        vectors.update(vectors_for_papers(missing))
    rows = {
        p["id"]: p
        for p in Paper.objects.filter(id__in=ids).values(
            "id", "title", "abstract", "upvotes", "url", "arxiv_id"
        )
    }
    ids = [pid for pid in ids if pid in vectors and pid in rows]
    papers = ranking.PaperSet(
        ids=np.asarray(ids, dtype=np.int64),
        titles=[rows[pid]["title"] for pid in ids],
        texts=[paper_text(rows[pid]["title"], rows[pid]["abstract"]) for pid in ids],
        vectors=np.vstack([vectors[pid] for pid in ids]).astype(np.float32)
        if ids
        else np.zeros((0, 1), np.float32),
        upvotes=np.asarray([rows[pid]["upvotes"] or 0 for pid in ids], dtype=np.float32),
    )
    papers.lexical  # noqa: B018 - build the index now, not in the first visitor's request
    urls = [
        rows[pid]["url"]
        or (f"https://arxiv.org/abs/{rows[pid]['arxiv_id']}" if rows[pid]["arxiv_id"] else "")
        for pid in ids
    ]
    with _lock:
        _cache.clear()  # one corpus at a time: the newest
        _cache[key] = (papers, urls)
    return papers, urls


def digest_preview(*, interests: str, exclusions: str = "", size: int = 5) -> list[dict]:
    """[{paper_id, title, url, score, why}] that a digest for these interests would hold now."""
    if not (interests or "").strip():
        return []
    papers, urls = _candidates()
    if not len(papers):
        return []
    profile = ranking.build_profile(
        key=0, interests=interests, exclusions=exclusions, size=size, embed=lambda texts: embed_texts(texts)
    )
    picks = ranking.rank(papers, [profile])[0]
    return [
        {
            "paper_id": pick.paper_id,
            "title": papers.titles[papers.column(pick.paper_id)],
            "url": urls[papers.column(pick.paper_id)],
            "score": round(pick.score, 3),
            "why": pick.why,
        }
        for pick in picks
    ]

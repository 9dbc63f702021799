"""A synthetic day of papers and a synthetic population of subscribers, written to the bench database.

Papers: the 343 sample papers plus variants of them (retitled, abstracts mixed
from two papers) up to the requested count, all announced on the edition date.
Their vectors are computed once with the real model and cached under
var/bench-cache/, keyed by the model and the texts.

Subscribers: interests composed from a vocabulary of real research topics (the
dev set's facets and the sample titles' descriptive halves) in the shapes people
write them (keyword lists, bullets, semicolons, prose), with exclusions, seed
papers, "more / less like this" clicks, varied digest sizes and thresholds.
Profile vectors are cached on the TopicProfile row, with the stored reading of
the interests text, as profiles.profile_vectors_refresh writes them, so the run
does not re-embed 100k profiles: every distinct facet text is embedded once
(as split_facets cuts it, not as read_interests reads it); the whole-profile
("summary") vector is the normalised mean of the facet vectors, an
approximation that costs scoring exactly the same as the real one.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from datetime import date
from pathlib import Path

import numpy as np

from digest.data import DEVSET, SAMPLE_CORPUS

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench-cache"

_PREFIXES = ["", "Towards ", "Revisiting ", "On ", "Scaling ", "Efficient ", "Rethinking ", "Learning "]
_SUFFIXES = [
    "",
    " at Scale",
    " Revisited",
    " for Low-Resource Settings",
    " with Fewer Parameters",
    ": A Study",
    " in Practice",
]
_STYLES = ("keywords", "bullets", "semicolons", "prose", "lines")


def sample_rows() -> list[dict]:
    return [
        json.loads(line) for line in SAMPLE_CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def synth_papers(count: int, seed: int = 0) -> list[dict]:
    """count papers: the sample corpus first, then variants of it."""
    rng = random.Random(seed)
    base = sample_rows()
    papers = []
    for i in range(count):
        row = base[i % len(base)]
        if i < len(base):
            title, abstract = row["title"], row.get("abstract") or ""
        else:
            other = base[rng.randrange(len(base))]
            title = f"{rng.choice(_PREFIXES)}{row['title']}{rng.choice(_SUFFIXES)} ({i // len(base)})"
            mine = (row.get("abstract") or "").split(". ")
            theirs = (other.get("abstract") or "").split(". ")
            keep = mine[: max(2, len(mine) * 2 // 3)] + theirs[-max(1, len(theirs) // 3) :]
            abstract = ". ".join(s for s in keep if s)
        papers.append(
            {
                "title": title,
                "abstract": abstract,
                "authors": row.get("authors")
                or [f"Author {i % 97}", f"Author {i % 89}", f"Author {i % 83}", f"Author {i % 79}"],
                "upvotes": rng.choice([0, 0, 1, 3, 7, 12, 30, 80, 150]),
            }
        )
    return papers


def cached_vectors(kind: str, texts: list[str]) -> np.ndarray:
    """Vectors for texts with the configured model, computed once and kept on disk."""
    from digest.embedding import embed_texts, model_name

    digest = hashlib.sha256("\x1e".join([model_name(), *texts]).encode()).hexdigest()[:16]
    path = CACHE / f"{kind}-{digest}.npy"
    if path.exists():
        return np.load(path)
    CACHE.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    vectors = embed_texts(texts)
    print(
        f"  (embedded {len(texts)} {kind} texts once in {time.perf_counter() - started:.1f}s; cached in {path.relative_to(ROOT)})"
    )
    np.save(path, vectors)
    return vectors


def topic_vocabulary() -> tuple[list[str], list[str], list[str]]:
    """(facets, exclusion topics, seed titles) drawn from the dev set and the sample titles."""
    from digest import ranking

    devset = json.loads(DEVSET.read_text(encoding="utf-8"))
    facets, exclusions = [], []
    for profile in devset["profiles"]:
        facets += ranking.split_facets(profile["interests"])
        exclusions += ranking.split_exclusions(profile.get("exclusions", ""))
    titles = [row["title"] for row in sample_rows()]
    for title in titles:
        # "DrivAerNet: A Parametric Car Dataset ..." -> the descriptive half names a topic.
        if ":" in title:
            half = title.split(":", 1)[1].strip()
            if 2 <= len(half.split()) <= 9:
                facets.append(half)
    facets = list(dict.fromkeys(f for f in facets if len(f) >= 3))
    exclusions = list(
        dict.fromkeys(
            exclusions
            + ["surveys", "medical imaging", "robotics", "speech recognition", "reinforcement learning"]
        )
    )
    return facets, exclusions, titles


def _interests(rng: random.Random, topics: list[str]) -> str:
    style = rng.choice(_STYLES)
    if style == "keywords":
        return ", ".join(topics)
    if style == "bullets":
        return "\n".join(f"- {t}" for t in topics)
    if style == "semicolons":
        return "; ".join(topics)
    if style == "lines":
        return "\n".join(topics)
    opener = rng.choice(["I work on", "Mostly interested in", "Anything about", "My research is on"])
    return ". ".join(f"{opener} {t}" if i == 0 else t[:1].upper() + t[1:] for i, t in enumerate(topics)) + "."


def synth_profiles(count: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    facets, exclusions, titles = topic_vocabulary()
    out = []
    for _i in range(count):
        k = rng.choices([1, 2, 3, 4, 5], weights=[15, 25, 30, 20, 10])[0]
        # Interests cluster: most people's topics are neighbours in the vocabulary.
        start = rng.randrange(len(facets))
        topics = [facets[(start + rng.randrange(12)) % len(facets)] for _ in range(k)]
        topics = list(dict.fromkeys(topics))
        out.append(
            {
                "interests": _interests(rng, topics),
                "exclusions": ", ".join("not " + e for e in rng.sample(exclusions, rng.choice([1, 1, 2])))
                if rng.random() < 0.15
                else "",
                "seed_papers": "\n".join(rng.sample(titles, rng.choice([1, 2])))
                if rng.random() < 0.05
                else "",
                "digest_size": rng.choices([3, 5, 10], weights=[15, 70, 15])[0],
                "threshold": rng.choices([0.0, 0.3, 0.5], weights=[80, 10, 10])[0],
                "send_empty_note": rng.random() < 0.1,
                "feedback": rng.random() < 0.03,
            }
        )
    return out


def papers_load(*, count: int, edition_date: date) -> int:
    """Write the day's papers and their (cached) vectors; return how many."""
    from digest.embedding import model_name
    from digest.models import Paper, PaperEmbedding
    from digest.ranking import paper_text
    from digest.sources.records import title_key

    rows = synth_papers(count)
    vectors = cached_vectors("papers", [paper_text(r["title"], r["abstract"]) for r in rows])
    papers = Paper.objects.bulk_create(
        [
            Paper(
                external_id=f"bench:{i}",
                title_key=title_key(r["title"]) or f"bench{i}",
                title=r["title"],
                abstract=r["abstract"],
                authors=r["authors"],
                url=f"https://example.org/papers/{i}",
                announced_on=edition_date,
                source="file",
                sources=["file"],
                upvotes=r["upvotes"],
            )
            for i, r in enumerate(rows)
        ],
        batch_size=1000,
    )
    name = model_name()
    PaperEmbedding.objects.bulk_create(
        [
            PaperEmbedding(paper=p, model_name=name, dim=vectors.shape[1], vector=v.astype("<f4").tobytes())
            for p, v in zip(papers, vectors, strict=True)
        ],
        batch_size=1000,
    )
    return len(papers)


def subscribers_load(*, count: int, batch: int = 2000) -> int:
    """Write count active subscribers with profiles whose vectors are already cached."""
    from digest import profiles as digest_profiles
    from digest import ranking
    from digest.models import Paper
    from subscriptions.models import Feedback, Subscriber, TopicProfile

    specs = synth_profiles(count)
    texts = sorted(
        {
            t
            for s in specs
            for t in ranking.split_facets(s["interests"]) + ranking.split_exclusions(s["exclusions"])
        }
    )
    matrix = cached_vectors("facets", texts)
    vector_of = {t: matrix[i] for i, t in enumerate(texts)}
    dim = matrix.shape[1]
    paper_ids = list(Paper.objects.order_by("id").values_list("id", flat=True))
    rng = random.Random(2)
    for start in range(0, count, batch):
        chunk = specs[start : start + batch]
        subscribers = Subscriber.objects.bulk_create(
            [
                Subscriber(
                    email=f"reader{start + i}@bench.example",
                    status=Subscriber.Status.ACTIVE,
                    digest_size=s["digest_size"],
                    threshold=s["threshold"],
                    send_empty_note=s["send_empty_note"],
                    send_hour=(start + i) % 24,
                )
                for i, s in enumerate(chunk)
            ]
        )
        profiles = []
        for subscriber, s in zip(subscribers, chunk, strict=True):
            profile = TopicProfile(
                subscriber=subscriber,
                interests=s["interests"],
                exclusions=s["exclusions"],
                seed_papers=s["seed_papers"],
            )
            facets = ranking.split_facets(s["interests"])
            excluded = ranking.split_exclusions(s["exclusions"])
            rows = [vector_of[t] for t in facets + excluded]
            if len(facets) > 1:  # the summary text: see the module docstring
                mean = np.mean([vector_of[t] for t in facets], axis=0)
                rows.append(mean / np.linalg.norm(mean))
            profile.vectors = np.asarray(rows, dtype="<f4").tobytes()
            profile.vectors_layout = digest_profiles.vectors_layout(
                interests=s["interests"], exclusions=s["exclusions"], dim=dim
            )
            profile.vectors_key = digest_profiles.vectors_key(profile)
            profiles.append(profile)
        TopicProfile.objects.bulk_create(profiles)
        Feedback.objects.bulk_create(
            [
                Feedback(subscriber=subscriber, paper_id=pid, signal=signal)
                for subscriber, s in zip(subscribers, chunk, strict=True)
                if s["feedback"]
                for pid, signal in zip(rng.sample(paper_ids, 2), (1, -1), strict=True)
            ]
        )
    return count

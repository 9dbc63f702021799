"""Micro-benchmark of digest.ranking.rank_batch and the reference rank on synthetic data (not a test).

    python bench/ranking_bench.py [--papers 2000] [--profiles 2000] [--threads 2]

Prints profiles scored and selected per second by each, on the same profiles.
Every facet here is a random, unshared text: the worst case for rank_batch,
whose rows pay off when readers share topics (bin/bench's population does).
100,000 profiles x 2,000 papers in under 10 s on 2 cores needs more than
~5,000 profiles/s per core.
"""

import argparse
import os
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--profiles", type=int, default=2000)
    parser.add_argument("--facets", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)  # before numpy is imported
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import numpy as np

    from digest import ranking

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(5000)]
    dim = 384

    def unit(rows):
        v = rng.normal(size=(rows, dim)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    texts = [" ".join(rng.choice(words, 150)) for _ in range(args.papers)]
    papers = ranking.build_paper_set(
        ids=range(args.papers),
        titles=texts,
        abstracts=[""] * args.papers,
        vectors=unit(args.papers),
        upvotes=rng.integers(0, 50, args.papers).tolist(),
    )
    start = time.perf_counter()
    papers.lexical  # noqa: B018 - built once per run, shared by every chunk
    index_s = time.perf_counter() - start
    profiles = []
    for key in range(args.profiles):
        facets = [" ".join(rng.choice(words, 3)) for _ in range(args.facets)]
        profiles.append(
            ranking.Profile(
                key=key,
                facets=facets,
                facet_vectors=unit(args.facets),
                exclusions=["w1 w2"],
                exclusion_vectors=unit(1),
                positive_labels=["seed"],
                positive_vectors=unit(1),
                negative_vectors=unit(1),
                size=5,
                exclude_ids=frozenset(rng.integers(0, args.papers, 20).tolist()),
                summary=" ".join(facets),
                summary_vector=unit(1)[0],
            )
        )
    print(f"lexical index: {index_s:.2f}s for {args.papers} papers")
    for rank in (ranking.rank_batch, ranking.rank):
        start = time.perf_counter()
        picks = rank(papers, profiles)
        elapsed = time.perf_counter() - start
        assert len(picks) == args.profiles
        rate = args.profiles / elapsed
        print(
            f"{rank.__name__}: {args.profiles} profiles x {args.papers} papers in {elapsed:.2f}s = {rate:,.0f} profiles/s; "
            f"projected 100,000 profiles: {100_000 / rate:.1f}s (threads={args.threads})"
        )


if __name__ == "__main__":
    main()

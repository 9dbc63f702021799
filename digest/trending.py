"""The "Trending today" section: the day's most upvoted papers beyond a reader's own picks.

Pure functions over the day's PaperSet, beside digest.ranking: the daily run
calls them with the profiles it has just ranked. Trending papers skip the
reader's relevance threshold (they are there for being popular) but obey
never-send-twice (Profile.exclude_ids) and the reader's exclusions and
"less like this" papers, judged by the same penalty the ranking applies.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from digest import ranking


def _guard(profile: ranking.Profile) -> ranking.Profile:
    """The profile without anything it likes: scored, its raw value is -1 minus its penalties."""
    empty = profile.facet_vectors[:0]
    return dataclasses.replace(
        profile,
        facets=[],
        facet_vectors=empty,
        positive_labels=[],
        positive_vectors=empty,
        summary="",
        summary_vector=None,
    )


def trending_picks(
    papers: ranking.PaperSet,
    profiles: list[ranking.Profile],
    *,
    personal: dict[int, list[ranking.Pick]],
    sizes: dict[int, int],
) -> dict[int, list[ranking.Pick]]:
    """{profile key: up to sizes[key] trending picks}, most upvoted first, none of them personal picks.

    A Pick's score is the paper's upvotes (what it was picked for); its why is left to the caller.
    """
    wanted = [p for p in profiles if sizes.get(p.key, 0) > 0]
    upvotes = np.nan_to_num(np.asarray(papers.upvotes, dtype=np.float32))
    by_votes = [int(i) for i in np.argsort(-upvotes, kind="stable") if upvotes[i] > 0]
    if not wanted or not by_votes:
        return {}
    # A penalty (an exclusion or a "less like this" paper resembled beyond its margin) blocks a paper.
    blocked = ranking.score_profiles(papers, [_guard(p) for p in wanted]).raw < -1.0
    chosen: dict[int, list[ranking.Pick]] = {}
    for row, profile in enumerate(wanted):
        taken = set(profile.exclude_ids) | {pick.paper_id for pick in personal.get(profile.key, [])}
        picks = []
        for column in by_votes:
            paper_id = int(papers.ids[column])
            if paper_id in taken or blocked[row, column]:
                continue
            picks.append(ranking.Pick(paper_id=paper_id, score=float(upvotes[column]), why=""))
            if len(picks) == sizes[profile.key]:
                break
        chosen[profile.key] = picks
    return chosen

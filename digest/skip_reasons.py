"""Why a digest came out empty: each reason is tested by ranking again without one obstacle.

Run only for the readers whose digest has no papers, in one batched ranking call per
obstacle, in this order: no candidate papers at all; nothing to match (no interests);
matches that were all sent before or rated (`exclude_ids`); matches that all hit an
exclusion (the penalty pushed them under the threshold); otherwise nothing reached the
threshold, and the detail names the best score.
"""

import dataclasses
import math

from digest import ranking
from digest.models import EmptyReason


def empty_digest_reasons(
    papers: ranking.PaperSet, profiles: list[ranking.Profile], subscriber_ids: list[int]
) -> dict[int, tuple[str, str]]:
    """(reason, detail) for each of `subscriber_ids`, readers whose digest has no papers."""
    if not len(papers):
        return {
            sid: (EmptyReason.NO_NEW_PAPERS, "no papers in the candidate window") for sid in subscriber_ids
        }
    by_key = {profile.key: profile for profile in profiles}
    reasons = {
        sid: (EmptyReason.NO_INTERESTS, "the reader has no interests text or seed papers")
        for sid in subscriber_ids
        if sid not in by_key
    }
    left = [by_key[sid] for sid in subscriber_ids if sid in by_key]

    if left:
        found = ranking.rank(papers, [dataclasses.replace(p, exclude_ids=frozenset()) for p in left])
        for profile in left:
            if found.get(profile.key):
                reasons[profile.key] = (EmptyReason.ALL_SENT, "the matching papers were sent before or rated")
        left = [p for p in left if p.key not in reasons]

    if left:
        unexcluded = [dataclasses.replace(p, exclusions=[], exclusion_vectors=None) for p in left]
        found = ranking.rank(papers, unexcluded)
        for profile in left:
            if found.get(profile.key):
                reasons[profile.key] = (
                    EmptyReason.ALL_EXCLUDED,
                    f"papers match without the exclusions: {'; '.join(profile.exclusions)[:200]}",
                )
        left = [p for p in left if p.key not in reasons]

    if left:
        found = ranking.rank(papers, [dataclasses.replace(p, threshold=-math.inf, size=1) for p in left])
        for profile in left:
            best = found.get(profile.key, [])
            detail = (
                f"best score {best[0].score:.2f}, threshold {profile.threshold:.2f}"
                if best
                else f"no paper scored, threshold {profile.threshold:.2f}"
            )
            reasons[profile.key] = (EmptyReason.BELOW_THRESHOLD, detail)
    return reasons

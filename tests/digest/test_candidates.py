from datetime import date

import pytest

from digest import candidates
from digest.embedding import model_name
from digest.models import Paper, PaperEmbedding
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 6, 12)


def _embed(paper: Paper, model: str) -> None:
    PaperEmbedding.objects.create(paper=paper, model_name=model, dim=2, vector=b"\0" * 8)


def test_the_window_fingerprint_changes_with_every_paper_or_vector_of_the_model_and_nothing_else():
    papers = [PaperFactory(announced_on=DAY) for _ in range(3)]
    for paper in papers:
        _embed(paper, model_name())
    seen = [candidates._fingerprint(DAY, DAY)]

    def changed() -> bool:
        seen.append(candidates._fingerprint(DAY, DAY))
        return seen[-1] != seen[-2]

    PaperFactory(announced_on=date(2026, 6, 13))  # outside the window
    _embed(papers[0], "another-model")
    assert not changed()
    papers_counted, vectors_counted = seen[-1][3], seen[-1][6]
    assert (papers_counted, vectors_counted) == (3, 3)  # once each: the other model's vector joins, uncounted
    added = PaperFactory(announced_on=DAY)
    assert changed()
    _embed(added, model_name())
    assert changed()
    Paper.objects.filter(pk=papers[1].pk).update(
        title="Edited", updated_at=added.updated_at.replace(year=2030)
    )
    assert changed()
    PaperEmbedding.objects.filter(paper=papers[2], model_name=model_name()).delete()
    assert changed()
    papers[0].delete()
    assert changed()

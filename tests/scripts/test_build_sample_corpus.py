"""The sample corpus is what scripts/build_sample_corpus.py makes of the seed pages: 343 distinct papers.

The five captured Daily Papers pages hold 397 title + abstract pairs; 54 of
them repeat a paper of an earlier page (same title and abstract), which leaves
343. No two papers kept share an abstract or a title, so no duplicate hides in
a title variant, and no page line is lost or misread (the parser reports none).
"""

import importlib.util
import json
import os
from pathlib import Path

import pytest
from django.conf import settings

from digest.data import DEVSET
from digest.data import SAMPLE_CORPUS as CORPUS
from digest.sources.records import title_key

BASE_DIR = Path(settings.BASE_DIR)
SAMPLE_PAPERS = 343


def _seeds_dir() -> Path | None:
    """The captures live beside the checkout (../shared/seeds), or where PAPER_DIGEST_SEEDS says."""
    candidates = [
        os.environ.get("PAPER_DIGEST_SEEDS", ""),
        BASE_DIR.parent / "shared" / "seeds",
        BASE_DIR.parent.parent / "shared" / "seeds",
    ]
    return next((Path(c) for c in candidates if c and Path(c).is_dir()), None)


def _script():
    spec = importlib.util.spec_from_file_location(
        "build_sample_corpus", BASE_DIR / "scripts" / "build_sample_corpus.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _corpus() -> list[dict]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]


def test_it_ships_343_distinct_papers_with_stable_ids():
    rows = _corpus()

    assert len(rows) == SAMPLE_PAPERS
    assert len({row["id"] for row in rows}) == SAMPLE_PAPERS
    assert len({title_key(row["title"]) for row in rows}) == SAMPLE_PAPERS
    assert len({" ".join(row["abstract"].lower().split()) for row in rows}) == SAMPLE_PAPERS


def test_every_paper_the_dev_set_grades_is_in_the_corpus():
    ids = {row["id"] for row in _corpus()}
    devset = json.loads(DEVSET.read_text())

    graded = {paper_id for profile in devset["profiles"] for paper_id in _judgments(profile)}
    assert graded and graded <= ids


def _judgments(profile: dict) -> dict:
    judgments = profile["judgments"]
    return json.loads(judgments.replace("'", '"')) if isinstance(judgments, str) else judgments


def test_rebuilding_from_the_seed_pages_gives_the_shipped_corpus(capsys):
    seeds = _seeds_dir()
    if seeds is None:
        pytest.skip("the seed pages (../shared/seeds) are not beside this checkout")

    rows = _script().build([str(path) for path in sorted(seeds.glob("*.txt"))])

    assert capsys.readouterr().err == "", "the parser reported lines it could not read"
    assert rows == _corpus()

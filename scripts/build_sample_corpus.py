"""Rebuild digest/data/sample_papers.jsonl from the Daily Papers page captures.

    python scripts/build_sample_corpus.py ../shared/seeds/*.txt

The same paper appears on several pages; the first capture wins. Ids are
stable hashes of the normalised title, so re-running changes nothing.
"""

import hashlib
import json
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digest.data import SAMPLE_CORPUS  # noqa: E402
from digest.sources.hf_page import parse_page_text  # noqa: E402
from digest.sources.records import title_key  # noqa: E402

OUT = SAMPLE_CORPUS


def build(paths: list[str]) -> list[dict]:
    """The corpus rows, in file order; each error is printed to stderr."""
    seen: dict[str, dict] = {}
    for path in sorted(paths):
        records, errors = parse_page_text(Path(path).read_text(encoding="utf-8"), announced_on=date.today())
        for error in errors:
            print(f"{path}: {error}", file=sys.stderr)
        for record in records:
            key = title_key(record.title)
            if key in seen:
                continue
            seen[key] = {
                "id": "hfp-" + hashlib.sha1(key.encode()).hexdigest()[:12],
                "title": record.title,
                "abstract": record.abstract,
                "published_on": record.published_on.isoformat() if record.published_on else None,
                "upvotes": record.upvotes,
                "page": Path(path).name,
            }
    return list(seen.values())


def main(paths: list[str]) -> None:
    rows = build(paths)
    with OUT.open("w", encoding="utf-8") as handle:
        for obj in rows:
            handle.write(json.dumps(obj, ensure_ascii=False) + "\n")
    print(f"{len(rows)} papers -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1:])

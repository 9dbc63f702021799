"""Browser tests keep their screenshots in test-artifacts/; some are the README's pictures."""

import os
import shutil
from pathlib import Path

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def publish_screenshot(artifact: Path, name: str) -> None:
    """Copy a screenshot into docs/screenshots/ when UPDATE_SCREENSHOTS=1.

    Not on every run: each run would rewrite tracked PNGs that differ by a few pixels.
    """
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(artifact, DOCS_SCREENSHOTS / name)

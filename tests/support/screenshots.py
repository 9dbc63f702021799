"""Browser tests keep their screenshots in test-artifacts/; some are the README's pictures."""

import os
import shutil
from pathlib import Path

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def publish_screenshot(artifact: Path, name: str) -> None:
    """Copy a screenshot into docs/screenshots/ when UPDATE_SCREENSHOTS=1.

    Not on every run: each run would rewrite tracked PNGs that differ by a few pixels.
    """
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(artifact, DOCS_SCREENSHOTS / name)


# Stands in for a paper's thumbnail in screenshots: there is no network in tests.
PLACEHOLDER_THUMBNAIL = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="144" height="78">'
    '<rect width="144" height="78" fill="#c7d2fe"/><rect x="12" y="14" width="90" height="10" fill="#4338ca"/>'
    '<rect x="12" y="34" width="120" height="6" fill="#6366f1"/><rect x="12" y="46" width="110" height="6" fill="#6366f1"/></svg>'
)


def offline_email_images(page) -> None:
    """Answer the emails' thumbnail requests with a placeholder instead of the network."""
    page.route(
        "https://cdn-thumbnails.huggingface.co/**",
        lambda route: route.fulfill(body=PLACEHOLDER_THUMBNAIL, content_type="image/svg+xml"),
    )

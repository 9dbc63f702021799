"""Where a reader can go from a paper: its abstract, Hugging Face page, PDF and code, and its thumbnail.

Every URL here comes from a source feed, so only web links pass (never
javascript: or data:), and the thumbnail only over HTTPS from the source's own
image host: an email must not load images from wherever a feed points.
"""

from core.weblinks import safe_url
from digest.models import Paper

# Hosts whose images we show as thumbnails: Hugging Face's thumbnail CDN.
THUMBNAIL_HOSTS = ("https://cdn-thumbnails.huggingface.co/",)


def paper_links(paper: Paper) -> list[dict]:
    """[{label, url}] in reading order, only the ones known for this paper."""
    extra = paper.extra or {}
    candidates = (
        ("Abstract", paper.link),
        ("Hugging Face", extra.get("hf_url")),
        ("PDF", paper.pdf_url),
        ("Code", extra.get("github_repo")),
    )
    urls = [(label, safe_url(url) if isinstance(url, str) else "") for label, url in candidates]
    return [{"label": label, "url": url} for label, url in urls if url]


def paper_thumbnail(paper: Paper) -> str:
    url = (paper.extra or {}).get("thumbnail")  # feeds' extras are untrusted: any JSON value
    if isinstance(url, str) and url.startswith(THUMBNAIL_HOSTS):
        return url
    return ""

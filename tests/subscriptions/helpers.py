import re

CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/confirm/[^/\s]+/)")


def confirm_path(message) -> str:
    """The path of the confirm link in an email's text part."""
    return CONFIRM_LINK.search(message.body).group(1)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)

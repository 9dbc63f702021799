import re

# What a sign-up form holds once cleaned: the data of a PendingChange.
SIGNUP_DATA = {
    "interests": "Protein folding",
    "exclusions": "",
    "seed_papers": "",
    "frequency": "daily",
    "weekly_day": 0,
    "send_hour": 5,
    "timezone": "UTC",
    "digest_size": 3,
}

CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/confirm/[^/\s]+/)")


def confirm_path(message) -> str:
    """The path of the confirm link in an email's text part."""
    return CONFIRM_LINK.search(message.body).group(1)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


CHANGE_FIELD = re.compile(r'name="change" value="(\d+)"')


def confirm_by_click(client, message):
    """Open the email's confirm link and press Confirm, as a person does: return the POST's response."""
    path = confirm_path(message)
    page = client.get(path).content.decode()
    return client.post(path, {"change": CHANGE_FIELD.search(page).group(1)})

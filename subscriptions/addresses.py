"""One canonical form per mailbox: every address we store or look up goes through here.

Look-alike spellings of one mailbox (full-width letters, a soft hyphen in the
domain, a quoted local part) must not become separate subscribers: each one
would get its own per-address limits, and a bounce or complaint for the real
address would miss it. email-validator does the hard parts (IDNA/UTS 46 for
the domain, unsafe and default-ignorable characters, bidi rules, special-use
domains such as localhost, domain literals); we add NFKC, lower case, and a
refusal of what a To: header cannot carry safely.
"""

import unicodedata

from django.core.exceptions import ValidationError
from email_validator import EmailNotValidError, validate_email

MAX_ADDRESS_CHARS = 254
INVALID = "Enter a valid email address."


def address_normalize(value: str) -> str:
    """The canonical form of `value`, or ValidationError when we will not mail it.

    Canonical: NFKC, unquoted local part, domain in IDNA's Unicode form, all lower
    case (we treat local parts case-insensitively, as every large provider does).
    """
    if not isinstance(value, str) or len(value) > MAX_ADDRESS_CHARS * 2:
        raise ValidationError(INVALID, code="invalid")
    candidate = unicodedata.normalize("NFKC", value.strip())
    try:
        result = validate_email(
            candidate,
            check_deliverability=False,
            allow_quoted_local=True,
            allow_domain_literal=False,
            allow_display_name=False,
            globally_deliverable=True,
        )
    except (EmailNotValidError, UnicodeError, ValueError):
        raise ValidationError(INVALID, code="invalid") from None
    # A local part that still needs quotes ("a b"@x) or is not ASCII would need
    # SMTPUTF8 or quoting in headers; nobody reads their digest at such an address.
    if result.ascii_email is None or result.local_part.startswith('"'):
        raise ValidationError(INVALID, code="invalid")
    normalized = result.normalized.lower()
    if len(normalized) > MAX_ADDRESS_CHARS:
        raise ValidationError(INVALID, code="invalid")
    return normalized


def address_key(value: str) -> str:
    """The form to look `value` up by: canonical when valid, else trimmed lower case.

    Webhooks report addresses we never validated (a provider's own spelling);
    a look-up must still find the subscriber, and must never fail.
    """
    try:
        return address_normalize(value)
    except ValidationError:
        return (value or "").strip().lower()


def validate_address(value: str) -> None:
    """Model-field validator: the admin rejects what the sign-up form rejects."""
    address_normalize(value)

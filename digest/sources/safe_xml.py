"""Parse untrusted XML responses, refusing bombs before they expand.

arXiv never sends a DTD, so any DTD is refused outright: that stops billion
laughs, quadratic blow-up and external entities (file or network reads) in
one rule, before the parser builds anything.
"""

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from digest.sources.records import FetchError

# Real responses are well under 1 MB (a 100-entry API page is ~250 KB).
MAX_XML_BYTES = 20 * 1024 * 1024


def parse_xml(data: bytes | str, *, what: str) -> Element:
    """Return the root element; raise FetchError naming `what` for anything unsafe or malformed."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if len(data) > MAX_XML_BYTES:
        raise FetchError(f"{what}: response larger than {MAX_XML_BYTES} bytes")
    if not data.strip():
        raise FetchError(f"{what}: empty response")
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise FetchError(f"{what}: refused unsafe XML ({type(exc).__name__}: {exc})") from None
    except (ParseError, ValueError, LookupError) as exc:
        # LookupError: an encoding declaration Python does not know.
        raise FetchError(f"{what}: malformed XML ({exc})") from None


def local_name(element: Element) -> str:
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""


def text_of(element: Element | None) -> str:
    """All text inside `element`, children included (a stray tag must not cut an abstract short)."""
    if element is None:
        return ""
    return "".join(element.itertext())

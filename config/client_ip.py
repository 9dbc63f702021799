"""The address rate limits count by (settings.RATELIMIT_IP_META_KEY points here).

Clients can send any header they like, so only a header that a proxy of ours
sets or appends to can be trusted, and only in the part that proxy wrote.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the address our proxies recorded in CLIENT_IP_META_KEY.

    A list header (X-Forwarded-For) gets one address appended by each proxy,
    so the client is the CLIENT_IP_TRUSTED_PROXIES-th from the right; anything
    further left is what the client claimed. A missing or malformed header falls
    back to REMOTE_ADDR (the proxy's address: a stricter shared limit, never none).
    """
    remote = request.META.get("REMOTE_ADDR", "")
    key = settings.CLIENT_IP_META_KEY
    if key == "REMOTE_ADDR":
        return remote
    hops = [hop.strip() for hop in request.META.get(key, "").split(",") if hop.strip()]
    trusted = max(1, settings.CLIENT_IP_TRUSTED_PROXIES)
    if len(hops) < trusted:
        return remote
    candidate = hops[-trusted]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote

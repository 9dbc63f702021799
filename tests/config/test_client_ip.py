"""Which address rate limits count by, directly and behind reverse proxies."""

import pytest
from django.test import RequestFactory

from config.client_ip import client_ip

XFF = "HTTP_X_FORWARDED_FOR"


def _request(**meta):
    return RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", **meta)


def test_it_uses_the_connecting_address_by_default_and_ignores_forwarded_headers():
    assert client_ip(_request(**{XFF: "203.0.113.9"})) == "10.0.0.2"


def test_it_takes_the_address_our_proxy_appended(settings):
    settings.CLIENT_IP_META_KEY = XFF

    assert client_ip(_request(**{XFF: "203.0.113.9"})) == "203.0.113.9"
    # A client that sends its own header only adds entries on the left.
    assert client_ip(_request(**{XFF: "198.51.100.1, 1.2.3.4, 203.0.113.9"})) == "203.0.113.9"


def test_it_counts_back_one_entry_per_trusted_proxy(settings):
    settings.CLIENT_IP_META_KEY = XFF
    settings.CLIENT_IP_TRUSTED_PROXIES = 2

    assert client_ip(_request(**{XFF: "198.51.100.1, 203.0.113.9, 10.0.0.1"})) == "203.0.113.9"


@pytest.mark.parametrize("header", ["", "not-an-address", " , "])
def test_it_falls_back_to_the_connecting_address_when_the_header_is_missing_or_bad(settings, header):
    settings.CLIENT_IP_META_KEY = XFF

    assert client_ip(_request(**{XFF: header})) == "10.0.0.2"


def test_it_reads_a_single_address_header(settings):
    settings.CLIENT_IP_META_KEY = "HTTP_X_REAL_IP"

    assert client_ip(_request(HTTP_X_REAL_IP="2001:db8::1")) == "2001:db8::1"

"""One guard for every way of naming a target (--site, --target, --grow-url, --core-url, the
environment, a config file): the suites create fulfillments and orders, so a live Chargebee site is
refused unless the user says --allow-live-site.

A host under chargebee.com is a site's when its first label names the site (`acme-test.chargebee.com`,
`acme-test.grow.chargebee.com`); it is a test site when that label ends in `-test`. Every other
chargebee.com host (the bare domain, `www`, a live site) counts as live. Site names must be DNS labels,
so a name cannot smuggle a path or a query into the URL built from it. Also here: which hosts are the
user's own machine, where the suite sends unthrottled by default."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", re.IGNORECASE)
CHARGEBEE = "chargebee.com"


class LiveSite(ValueError):
    """A target the guard refuses; the message is one sentence."""


def check_site(site: str, allow_live: bool) -> None:
    if not LABEL.match(site):
        raise LiveSite(
            f"{site!r} is not a Chargebee site name: use the site's name alone, letters, digits and "
            "hyphens, such as acme-test."
        )
    if not site.lower().endswith("-test") and not allow_live:
        raise LiveSite(
            f"Refusing to run against the live site {site!r}: the suites create fulfillments and orders, "
            "so use the -test site or pass --allow-live-site."
        )


def check_url(url: str, allow_live: bool) -> None:
    host = _host(url)
    if allow_live or not (host == CHARGEBEE or host.endswith("." + CHARGEBEE)):
        return
    site = host.split(".")[0]
    if host == CHARGEBEE or not LABEL.match(site) or not site.endswith("-test"):
        raise LiveSite(
            f"Refusing to run against {url}, a live Chargebee host: the suites create fulfillments and "
            "orders, so use a -test site or pass --allow-live-site."
        )


def is_loopback(url: str) -> bool:
    host = _host(url)
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host(url: str) -> str:
    try:
        host = urlsplit(str(url)).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".").lower()

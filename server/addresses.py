"""Where a request came from, for the sign-in limit and the audit log.

X-Forwarded-For is believed only from the proxies the settings list (FRONTDESK_TRUSTED_PROXIES,
empty by default): anyone else could write any address there and so dodge the sign-in limit
(issue 19). uvicorn's own handling of the header is off (server.cli), since it trusts
127.0.0.1 by default. From a trusted proxy, the address is the right-most one in the header that
is not itself a trusted proxy: entries to its left were written by the client.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.requests import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=16)
def parse_proxies(setting: str) -> tuple[Network, ...]:
    """"10.0.0.5, 10.1.0.0/16" -> networks; a bad entry raises ValueError (at start-up)."""
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in setting.split(",") if p.strip())


def _trusted(address: str, proxies: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def client_address(request: Request, trusted_proxies: str = "") -> str | None:
    peer = request.client.host if request.client else None
    proxies = parse_proxies(trusted_proxies)
    if peer is None or not proxies or not _trusted(peer, proxies):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop[:64]
    return peer

"""Which network addresses a crawl may connect to (the SSRF rules).

A URL is refused when its host is, or resolves to, an address that is not on
the public internet: loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7),
link-local (169.254/16, fe80::/10, so cloud metadata at 169.254.169.254),
CGNAT (100.64/10), multicast, reserved, unspecified, and IPv6 forms that embed
such an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, NAT64, 6to4). Every A/AAAA
record counts: one bad record refuses the host. IPv4 literals are read the way
the C resolver reads them, so 2130706433, 0177.0.0.1 and 0x7f.1 are 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import re
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("fd00:ec2::254"),
}
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Characters of the BSD numeric host forms: decimal, octal and hex parts.
_NUMERIC_HOST = re.compile(r"^[0-9a-fA-FxX.]+$")


class AddressError(Exception):
    """The host cannot be resolved."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def forbidden_reason(ip: IPAddress) -> str | None:
    """Why a crawl must not connect to `ip`, or None when it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        inner_reason = forbidden_reason(inner) if inner is not None else None
        if inner_reason:
            return f"{inner_reason}, embeds {inner}"
    checks = (
        (ip in METADATA_ADDRESSES, "cloud metadata"),
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.version == 4 and ip in _CGNAT, "CGNAT"),
        (ip.is_multicast, "multicast"),
        (ip.is_private, "private"),
        (ip.is_reserved, "reserved"),
        (not ip.is_global, "non-public"),
    )
    return next((reason for hit, reason in checks if hit), None)


def literal_address(host: str) -> IPAddress | None:
    """`host` as an IP address if it is a literal in any form the resolver accepts."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def resolve(host: str) -> list[IPAddress]:
    """Every address `host` resolves to (blocking: run it in a thread)."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressError(f"DNS lookup failed for {host}: {exc}") from None
    return sorted({ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos}, key=str)


def refusal(host: str, addresses: list[IPAddress]) -> str | None:
    """One line saying why `host` is refused, or None when every address is public."""
    for ip in addresses:
        reason = forbidden_reason(ip)
        if reason:
            literal = literal_address(host) is not None
            if str(ip) == host.strip("[]"):
                return f"refused non-public address: {ip} ({reason})"
            verb = "is" if literal else "resolves to"
            return f"refused non-public address: {host} {verb} {ip} ({reason})"
    return None

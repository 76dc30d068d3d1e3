"""The reactor's DNS resolver: Scrapy's caching resolver, refusing non-public addresses.

The SSRF middleware checks a host before each request, but the connection
resolves the name again; a hostile DNS server can answer the second lookup
differently (DNS rebinding). This resolver checks the address the connection
will actually use (Twisted passes IP literals through it too). Twisted turns
a failed lookup into "no results", so the reason is kept here for the error
message (`refusal_for`). AsyncCrawlerRunner does not install a resolver (only
CrawlerProcess does), so CrawlService installs this one on the reactor.
"""

from __future__ import annotations

import ipaddress

from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.datatypes import LocalCache
from twisted.internet.error import DNSLookupError

from crawler.addresses import literal_address, refusal

CACHE_SIZE = 10_000
_refusals: LocalCache[str, str] = LocalCache(1_000)


class GuardedResolver(CachingThreadedResolver):
    """CachingThreadedResolver whose answers must be public addresses."""

    exempt: frozenset[str] = frozenset()  # IP literals let through (the test hook)

    def getHostByName(self, name, timeout=()):
        result = super().getHostByName(name, timeout)
        result.addCallback(self._public_only, name)
        return result

    def _public_only(self, address: str, name: str) -> str:
        if name in self.exempt:
            return address
        reason = refusal(name, [ipaddress.ip_address(address)])
        if reason:
            _refusals[name] = reason
            raise DNSLookupError(reason)
        return address


def refusal_for(host: str) -> str | None:
    """Why the resolver refused `host` lately, if it did."""
    return _refusals.get(host)


def install_resolver(*, allow_private: bool, timeout: float, exempt=()) -> None:
    """Install the caching resolver on the reactor (guarded unless private addresses are allowed).

    `exempt` takes the middleware's "host:port" exemptions; only IP-literal
    hosts among them pass here, so a name is always checked at connection time.
    """
    from twisted.internet import reactor

    if allow_private:
        CachingThreadedResolver(reactor, CACHE_SIZE, timeout).install_on_reactor()
        return
    resolver = GuardedResolver(reactor, CACHE_SIZE, timeout)
    hosts = {origin.rsplit(":", 1)[0].strip("[]") for origin in exempt}
    resolver.exempt = frozenset(h for h in hosts if literal_address(h) is not None)
    resolver.install_on_reactor()

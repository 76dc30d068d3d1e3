"""URLs: canonical article URLs, and credentials kept out of sight.

Canonical article URLs: one spelling per article, however many feeds carry
it. Lowercase scheme and host, no default port, no fragment, no credentials,
no tracking parameters (utm_*, fbclid, gclid, ...), relative links resolved
against the page they came from. Other query parameters keep their order:
some sites route on them.

Credentials: a feed URL may carry `user:password@`. `split_credentials` takes
them out before a request is built; `items.redact_url` is the one place a URL
(or a message holding URLs) is masked for logs, the database and the terminal.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit

FETCHABLE_SCHEMES = ("http", "https")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING_PARAMS = {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid"}


def _is_tracking(name: str) -> bool:
    name = name.lower()
    return name.startswith("utm_") or name in _TRACKING_PARAMS


def _netloc(parts) -> str:
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    port = parts.port
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host = f"{host}:{port}"
    return host  # without userinfo: credentials are not part of an article's identity


def canonical_url(link: str, base: str | None = None) -> str | None:
    """The canonical form of `link` (resolved against `base`), or None if not http(s)."""
    link = (link or "").strip()
    if not link:
        return None
    absolute = urljoin(base, link) if base else link
    try:
        parts = urlsplit(absolute)
        netloc = _netloc(parts)
    except ValueError:  # a bad port or a broken IPv6 literal
        return None
    scheme = parts.scheme.lower()
    if scheme not in FETCHABLE_SCHEMES or not parts.hostname:
        return None
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = [(k, v) for k, v in pairs if not _is_tracking(k)]
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query, doseq=True), ""))


def fetchable_url(link: str, base: str | None = None) -> str | None:
    """`link` made absolute without its fragment, or None if it is not http(s)."""
    link = (link or "").strip()
    absolute = urljoin(base, link) if base else link
    try:
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme.lower() not in FETCHABLE_SCHEMES or not parts.hostname:
        return None
    return urlunsplit(parts._replace(fragment=""))


def url_hash(url: str) -> str:
    """sha256 hex of a URL (the archive's unique key for an article)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """(url without userinfo, user, password), user and password percent-decoded or None."""
    parts = urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at:
        return url, None, None
    user, colon, password = userinfo.partition(":")
    bare = urlunsplit(parts._replace(netloc=host))
    return bare, unquote(user), unquote(password) if colon else None


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of `url`, the default port filled in: what credentials are bound to."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").rstrip("."), parts.port or _DEFAULT_PORTS.get(scheme)

"""Feed credentials on the wire: basic auth for the feed's own origin, and nowhere else.

A feed request (and an article request of that feed) carries its BasicAuth in
meta. Every request passes here, each redirect hop included (the redirect
middleware hands the new request back to the engine): the Authorization
header is set when the request's scheme, host and port are the feed's, and
removed otherwise. That is stricter than Scrapy's HttpAuthMiddleware domain
check, which lets subdomains, other ports and an https->http redirect have
the credentials; this one replaces it.
"""

from __future__ import annotations

from crawler.requests import AUTH
from crawler.urls import origin


class FeedAuthMiddleware:
    """Sets a request's basic auth for its feed's origin only."""

    def process_request(self, request):
        auth = request.meta.get(AUTH)
        if auth is not None and origin(request.url) == auth.origin:
            request.headers[b"Authorization"] = auth.header
        else:
            request.headers.pop(b"Authorization", None)
        return None

"""Main text of an article page with trafilatura (runs in a worker process).

The headline is the item's title, not part of its text: trafilatura keeps
the page's <h1> as the first paragraph, so a first paragraph that repeats the
title is dropped (detection would otherwise read the headline as a statement
of its own, a second alert for the same story).
"""

from __future__ import annotations

from crawler.text import plain_text

# Shorter than this is a cookie wall, an error page or a teaser, not an article.
MIN_TEXT_CHARS = 80


def _same_line(a: str, b: str) -> bool:
    def norm(text: str) -> str:
        return " ".join(text.casefold().split()).strip(" .:;-–—\"'“”‘’")

    return bool(b) and norm(a) == norm(b)


def _without_headline(text: str, title: str) -> str:
    first, _, rest = text.partition("\n\n")
    return rest if rest and _same_line(first, title) else text


def extract_text(html: str, url: str, title: str = "") -> str | None:
    """The page's main text as plain paragraphs, or None when there is no article."""
    import trafilatura

    text = trafilatura.extract(
        html, url=url, include_comments=False, include_tables=False,
        include_images=False, include_links=False, output_format="txt",
        deduplicate=True,
    )
    text = _without_headline(plain_text(text.replace("\n", "\n\n")), title) if text else ""
    return text if len(text) >= MIN_TEXT_CHARS else None

"""Main text of an article page with trafilatura (runs in a worker process)."""

from __future__ import annotations

from crawler.text import plain_text

# Shorter than this is a cookie wall, an error page or a teaser, not an article.
MIN_TEXT_CHARS = 80


def extract_text(html: str, url: str) -> str | None:
    """The page's main text as plain paragraphs, or None when there is no article."""
    import trafilatura

    text = trafilatura.extract(
        html, url=url, include_comments=False, include_tables=False,
        include_images=False, include_links=False, output_format="txt",
        deduplicate=True,
    )
    text = plain_text(text.replace("\n", "\n\n")) if text else ""
    return text if len(text) >= MIN_TEXT_CHARS else None

"""Main text extraction (trafilatura): plain paragraphs, no headline, no boilerplate."""

from __future__ import annotations

from servers.feed_site import article_page

from crawler.extract import extract_text

BODY = ("The chief said officers will not ask anyone about immigration status during stops, "
        "and the department will not hold people on detainers without a judge's warrant.")


def test_main_text_without_navigation_footer_or_script():
    html = article_page("Chief on detainers", [BODY, "Second paragraph of the story, long enough."],
                        extra_head="<script>track()</script>")
    text = extract_text(html, "http://127.0.0.1:1/a", "Chief on detainers")
    assert text.startswith(BODY)
    assert "Second paragraph" in text
    assert "Home" not in text and "Copyright" not in text and "track" not in text


def test_headline_repeating_the_title_is_dropped_but_other_first_lines_stay():
    html = article_page("Chief on detainers", [BODY])
    assert extract_text(html, "http://127.0.0.1:1/a", "CHIEF ON DETAINERS.").startswith(BODY)
    assert extract_text(html, "http://127.0.0.1:1/a", "Another title").startswith("Chief on")


def test_pages_without_an_article_give_none():
    assert extract_text("<html><body><p>Subscribe!</p></body></html>", "http://127.0.0.1:1/") is None
    assert extract_text("", "http://127.0.0.1:1/") is None

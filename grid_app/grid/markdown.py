"""Markdown to safe HTML: markdown-it-py in its safe mode, then nh3 as a second layer."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

# "js-default" refuses raw HTML and validates link URLs; nh3 then keeps only the tags,
# attributes and URL schemes listed here (no hx-* attributes, no event handlers, no styles).
_md = MarkdownIt("js-default")
_TAGS = {
    "p",
    "br",
    "hr",
    "em",
    "strong",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "del",
    "s",
}
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
_SCHEMES = {"http", "https", "mailto"}


def render(text: str) -> str:
    """Render cell or comment Markdown to sanitised HTML."""
    if not text.strip():
        return ""
    html = _md.render(text)
    # Headings are demoted so that a cell never outranks the page's own headings.
    for level in (1, 2):
        html = html.replace(f"<h{level}>", "<h3>").replace(f"</h{level}>", "</h3>")
    return sanitise(html)


def sanitise(html: str) -> str:
    """Keep only the tags, attributes and link schemes rendered Markdown may have.

    Also applied to HTML read back from the database before it is shown (the
    ``stored_html`` filter): a row written behind the app's back must not become markup
    that acts in a reader's browser (an ``hx-post`` would carry their CSRF token).
    """
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )

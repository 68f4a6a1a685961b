"""Markdown to safe HTML: markdown-it-py in its safe mode, then nh3 as a second layer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

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


# --- Markdown as blocks of styled text (documents and spreadsheets) ---------------------


@dataclass(frozen=True)
class Run:
    """A stretch of text with one style; ``href`` is set inside a link."""

    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False
    href: str = ""


@dataclass
class Block:
    """A paragraph, heading, list item or code block, as runs of text.

    ``kind`` is "paragraph", "heading", "bullet", "number" or "code"; ``number`` is a
    numbered item's number and ``depth`` how deeply a list item is nested (0 at the top).
    """

    kind: str
    runs: list[Run] = field(default_factory=list)
    depth: int = 0
    number: int = 0

    @property
    def text(self) -> str:
        """The block's words without styling; a link whose label is not its address
        keeps the address after it, so nothing is lost on paper or in a spreadsheet."""
        parts: list[str] = []
        for run in self.runs:
            parts.append(run.text)
            if run.href and run.href != run.text and not run.text.endswith(run.href):
                parts.append(f" ({run.href})")
        return "".join(parts)


def blocks(text: str) -> list[Block]:
    """The Markdown ``text`` parsed by the same parser the pages use, as styled blocks."""
    found: list[Block] = []
    lists: list[list[int]] = []  # per open list: [is_numbered, next number]
    pending = "paragraph"
    for token in _md.parse(text):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            numbered = token.type == "ordered_list_open"
            start = int(token.attrs.get("start", 1) or 1) if numbered else 0
            lists.append([int(numbered), start])
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif token.type == "list_item_open":
            is_numbered, number = lists[-1]
            pending = "number" if is_numbered else "bullet"
            found.append(Block(pending, depth=len(lists) - 1, number=number))
            lists[-1][1] += 1
        elif token.type == "heading_open":
            pending = "heading"
        elif token.type in ("fence", "code_block"):
            found.append(Block("code", [Run(token.content.rstrip("\n"), code=True)]))
        elif token.type == "inline":
            runs = _runs(token.children or [])
            last = found[-1] if found else None
            # A list item's first paragraph fills the item; a later one is its own block.
            if last is not None and last.kind in ("bullet", "number") and not last.runs:
                last.runs = runs
            else:
                found.append(Block("heading" if pending == "heading" else "paragraph", runs))
            pending = "paragraph"
    return found


def _runs(children: list[Any]) -> list[Run]:
    runs: list[Run] = []
    bold = italic = 0
    href = ""
    for child in children:
        kind = child.type
        if kind == "strong_open":
            bold += 1
        elif kind == "strong_close":
            bold -= 1
        elif kind == "em_open":
            italic += 1
        elif kind == "em_close":
            italic -= 1
        elif kind == "link_open":
            href = str(child.attrs.get("href", ""))
        elif kind == "link_close":
            href = ""
        elif kind in ("softbreak", "hardbreak"):
            runs.append(Run("\n"))
        elif kind in ("text", "code_inline", "html_inline") and child.content:
            code = kind == "code_inline"
            runs.append(Run(child.content, bool(bold), bool(italic), code, href))
    return runs


# Text with none of these has no Markdown in it: its plain form is its paragraphs, which
# skips the parser for most cells (a parse costs about a millisecond; a workbook has
# thousands of cells).
_MARKUP = re.compile(r"[\\`*_\[\]#>|~<!&=+-]|^\s*\d+[.)]|^ {4}|\t|https?:", re.MULTILINE)
_BLANK_LINES = re.compile(r"\n\s*\n")


def plain(text: str) -> str:
    """Markdown as plain text: no stars or hashes; list items start "•" or their number."""
    if not _MARKUP.search(text):
        paragraphs = (p.strip() for p in _BLANK_LINES.split(text.strip()))
        return "\n\n".join(
            "\n".join(line.strip() for line in p.splitlines()) for p in paragraphs if p
        )
    lines: list[str] = []
    previous = ""
    for block in blocks(text):
        indent = "  " * block.depth
        listed = block.kind in ("bullet", "number")
        if lines and not (listed and previous == block.kind):
            lines.append("")
        previous = block.kind
        if block.kind == "bullet":
            lines.append(f"{indent}• {block.text}")
        elif block.kind == "number":
            lines.append(f"{indent}{block.number}. {block.text}")
        else:
            lines.append(block.text)
    return "\n".join(lines)

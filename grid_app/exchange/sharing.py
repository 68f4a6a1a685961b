"""The sharing-practice document: the grid told in the shape of the regional template.

The template asks for the authority's name, the project or approach, the categories the
work is shared in, a description with its impact, resources, and a contact. Here the
grid's name is the project, each service area's text is the description, the links in its
cells are the resources and its owners are the contacts.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

from grid_app.audit import service as audit
from grid_app.auth.models import Actor
from grid_app.errors import Invalid
from grid_app.exchange import service
from grid_app.exchange.models import CATEGORY_LABELS, SharingCategory
from grid_app.grid import markdown
from grid_app.grid.models import Grid

TITLE = "Anti-Racist Work and Tackling Disproportionality: Sharing Practice"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
AUTHORITY_MAX = 120

_MARKDOWN_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")
_BARE_URL = re.compile(r"(?<![(\[])\bhttps?://[^\s<>()\[\]]+")


@dataclass(frozen=True)
class Resource:
    """A link found in a cell: what it is called, where it points, which area named it."""

    label: str
    url: str
    area: str


@dataclass
class AreaPractice:
    """One service area's part of the document."""

    name: str
    categories: list[str]
    paragraphs: list[tuple[str, str]]  # (column name, text)
    contacts: list[str]


@dataclass
class SharingDocument:
    """Everything the template asks for, ready to write as DOCX or Markdown."""

    authority: str
    project: str
    description: str
    categories: list[str]  # the labels of every category any area is tagged with
    areas: list[AreaPractice] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)


def links_in(text: str) -> list[tuple[str, str]]:
    """(label, url) of each Markdown link and bare web address in ``text``, in order."""
    found = [(m.start(), m.group(1).strip(), m.group(2)) for m in _MARKDOWN_LINK.finditer(text)]
    plain = _MARKDOWN_LINK.sub(lambda m: " " * len(m.group(0)), text)
    found += [
        (m.start(), m.group(0).rstrip(".,;:"), m.group(0).rstrip(".,;:"))
        for m in _BARE_URL.finditer(plain)
    ]
    return [(label, url) for _, label, url in sorted(found)]


def build(actor: Actor, grid: Grid, authority: str) -> SharingDocument:
    """Gather the document from the grid's live service areas, tags, links and owners."""
    service.require_exchange(actor)
    authority = " ".join(authority.split())
    if not authority:
        raise Invalid("Name the authority.", {"authority": "Enter the name of your authority."})
    if len(authority) > AUTHORITY_MAX:
        raise Invalid(
            "That name is too long.",
            {"authority": f"Use {AUTHORITY_MAX} characters or fewer."},
        )
    view = service.live_view(grid)
    tags = service.row_categories(grid)
    order = list(SharingCategory)
    document = SharingDocument(authority, grid.name, grid.description, [])
    used: set[str] = set()
    seen_urls: set[str] = set()
    for row in view.rows:
        paragraphs: list[tuple[str, str]] = []
        contacts: list[str] = []
        for column in view.columns:
            cell = view.cell(row, column)
            if cell is None:
                continue
            if column.holds_people:
                contacts += [p.display_name for p in cell.owners]
                if cell.text.strip():
                    contacts.append(cell.text.strip())
            elif cell.text.strip():
                paragraphs.append((column.name, cell.text.strip()))
            for label, url in links_in(cell.text):
                if url not in seen_urls:
                    seen_urls.add(url)
                    document.resources.append(Resource(label, url, row.name))
        row_tags = [c for c in order if c.value in tags.get(row.id, set())]
        used |= {c.value for c in row_tags}
        if paragraphs or row_tags or contacts:
            document.areas.append(
                AreaPractice(row.name, [CATEGORY_LABELS[c] for c in row_tags], paragraphs, contacts)
            )
    document.categories = [CATEGORY_LABELS[c] for c in order if c.value in used]
    audit.record(actor, "grid.exported", "grid", grid.id, what="sharing", format="")
    return document


def to_markdown(document: SharingDocument) -> str:
    """The document as Markdown."""
    out = [f"# {TITLE}", "", f"**LA Name:** {document.authority}", ""]
    out += [f"**Name of project or approach:** {document.project}", ""]
    out += ["## Categories shared", ""]
    out += [
        f"- [{'x' if label in document.categories else ' '}] {label}"
        for label in CATEGORY_LABELS.values()
    ]
    out += ["", "## Description and impact", ""]
    if document.description:
        out += [document.description, ""]
    for area in document.areas:
        out += [f"### {area.name}", ""]
        if area.categories:
            out += [f"*Shared: {', '.join(area.categories)}*", ""]
        for column, text in area.paragraphs:
            out += [f"**{column}:** {text}", ""]
    out += ["## Resources and documents", ""]
    out += [f"- [{r.label}]({r.url}) ({r.area})" for r in document.resources] or ["None listed."]
    out += ["", "## Contact", ""]
    contacts = [a for a in document.areas if a.contacts]
    out += [f"- {a.name}: {', '.join(a.contacts)}" for a in contacts] or ["None named yet."]
    return "\n".join(out) + "\n"


def to_docx(document: SharingDocument) -> bytes:
    """The document as a Word file."""
    # python-docx is imported when a document is made, not when the app starts: the web
    # worker serves pages without it in memory.
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.styles["Normal"].font.size = Pt(11)
    doc.add_heading(TITLE, level=1)
    _labelled(doc, "LA Name: ", document.authority)
    _labelled(doc, "Name of project or approach: ", document.project)
    doc.add_heading("Categories shared", level=2)
    for label in CATEGORY_LABELS.values():
        mark = "☒" if label in document.categories else "☐"
        doc.add_paragraph(f"{mark} {label}")
    doc.add_heading("Description and impact", level=2)
    if document.description:
        _add_markdown(doc, "", document.description)
    for area in document.areas:
        doc.add_heading(area.name, level=3)
        if area.categories:
            doc.add_paragraph().add_run(f"Shared: {', '.join(area.categories)}").italic = True
        for column, text in area.paragraphs:
            _add_markdown(doc, f"{column}: ", text)
    doc.add_heading("Resources and documents", level=2)
    for resource in document.resources:
        item = doc.add_paragraph(style="List Bullet")
        _add_link(item, resource.label, resource.url)
        item.add_run(f" ({resource.area})")
    if not document.resources:
        doc.add_paragraph("None listed.")
    doc.add_heading("Contact", level=2)
    contacts = [a for a in document.areas if a.contacts]
    for area in contacts:
        doc.add_paragraph(f"{area.name}: {', '.join(area.contacts)}", style="List Bullet")
    if not contacts:
        doc.add_paragraph("None named yet.")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _labelled(doc: object, label: str, text: str) -> None:
    paragraph = doc.add_paragraph()  # type: ignore[attr-defined]
    paragraph.add_run(label).bold = True
    paragraph.add_run(text)


# Word's built-in list styles by (kind, depth); deeper lists use the deepest style there is.
_LIST_STYLES = {
    "bullet": ["List Bullet", "List Bullet 2", "List Bullet 3"],
    "number": ["List Number", "List Number 2", "List Number 3"],
}
_LINK_BLUE = (0x1D, 0x70, 0xB8)


def _add_markdown(doc: object, label: str, text: str) -> None:
    """Cell Markdown as Word paragraphs: real bold, italics, lists and links, no stars.

    ``label`` (bold) starts the first paragraph, or stands alone before a list.
    """
    blocks = markdown.blocks(text)
    if label and (not blocks or blocks[0].kind != "paragraph"):
        doc.add_paragraph().add_run(label.rstrip()).bold = True  # type: ignore[attr-defined]
        label = ""
    for block in blocks:
        styles = _LIST_STYLES.get(block.kind)
        style = styles[min(block.depth, len(styles) - 1)] if styles else None
        paragraph = doc.add_paragraph(style=style)  # type: ignore[attr-defined]
        if label:
            paragraph.add_run(label).bold = True
            label = ""
        for run in block.runs:
            if run.href:
                _add_link(paragraph, run.text, run.href, bold=run.bold, italic=run.italic)
                continue
            added = paragraph.add_run(run.text)
            added.bold = run.bold or block.kind == "heading" or None
            added.italic = run.italic or None
            if run.code:
                added.font.name = "Courier New"


def _add_link(
    paragraph: Any, text: str, url: str, *, bold: bool = False, italic: bool = False
) -> None:
    """A real hyperlink (blue, underlined) that opens ``url`` when clicked in Word."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import RGBColor

    part = paragraph.part
    rel_id = part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel_id)
    run = paragraph.add_run(text)
    run.font.underline = True
    run.font.color.rgb = RGBColor(*_LINK_BLUE)
    run.bold = bold or None
    run.italic = italic or None
    # The run is made by python-docx (so it is styled), then moved inside the link.
    link.append(run._r)
    paragraph._p.append(link)

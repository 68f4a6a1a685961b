"""Sharing-practice categories of service areas, and uploads waiting for their preview."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from grid_app.database import Base, utcnow


class SharingCategory(enum.StrEnum):
    """Who a piece of work is shared with, as the sharing-practice template asks."""

    ORGANISATION = "organisation"
    CHILDREN_FAMILIES = "children-families"
    COMMUNITIES = "communities"
    PARTNERS = "partners"
    RESEARCH = "research"


CATEGORY_LABELS = {
    SharingCategory.ORGANISATION: "Within your organisation",
    SharingCategory.CHILDREN_FAMILIES: "With children and families",
    SharingCategory.COMMUNITIES: "With communities",
    SharingCategory.PARTNERS: "With partners",
    SharingCategory.RESEARCH: "Through research",
}


class ServiceAreaCategory(Base):
    """One sharing-practice category a service area is tagged with."""

    __tablename__ = "service_area_category"
    __table_args__ = (
        CheckConstraint(
            f"category IN ({', '.join(repr(c.value) for c in SharingCategory)})",
            name="category",
        ),
    )

    row_id: Mapped[int] = mapped_column(
        ForeignKey("grid_row.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(30), primary_key=True)


class ImportUpload(Base):
    """An uploaded spreadsheet kept until its preview is applied or it expires.

    Kept in the database, not in memory, so that any worker can show and apply the preview.
    """

    __tablename__ = "import_upload"

    # A random token: the preview's address.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The grid it updates, or None when it creates a grid named ``new_grid_name``.
    grid_id: Mapped[int | None] = mapped_column(
        ForeignKey("grid.id", ondelete="CASCADE"), index=True
    )
    new_grid_name: Mapped[str] = mapped_column(String(200), default="")
    filename: Mapped[str] = mapped_column(String(255), default="")
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)

"""The audit log's table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from grid_app.database import Base, utcnow


class AuditEvent(Base):
    """One sensitive action: who did what to which thing, and when."""

    __tablename__ = "audit_event"
    __table_args__ = (
        # The audit log's pages, newest first, a page at a time from a (created_at, id) cursor.
        Index("ix_audit_event_created_at_id", "created_at", "id"),
        # Events about one person (or one session, cell …), for the log's person filter.
        Index("ix_audit_event_target_type_target_id", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

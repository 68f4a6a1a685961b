"""How long each kind of record is kept, as an admin set it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from grid_app.database import Base, utcnow


class RetentionSetting(Base):
    """Days a kind of record is kept; a kind with no row keeps its default."""

    __tablename__ = "retention_setting"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    days: Mapped[int]
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )

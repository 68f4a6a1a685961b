"""Import every domain's models so that Alembic and create_all see the whole schema."""

from grid_app.audit.models import AuditEvent
from grid_app.auth.models import Role, User, UserRole, UserSession
from grid_app.discussion.models import (
    CellThreadTally,
    Comment,
    CommentEdit,
    Mention,
    Notification,
    OutgoingMail,
    Watch,
)
from grid_app.exchange.models import ImportUpload, ServiceAreaCategory
from grid_app.gaps.models import CellFlagTally, GapFlag, GapFlagEvent
from grid_app.grid.models import (
    Cell,
    CellRevision,
    ColumnKind,
    Grid,
    GridChange,
    GridColumn,
    ServiceArea,
)

__all__ = [
    "AuditEvent",
    "Cell",
    "CellFlagTally",
    "CellRevision",
    "CellThreadTally",
    "ColumnKind",
    "Comment",
    "CommentEdit",
    "GapFlag",
    "GapFlagEvent",
    "Grid",
    "GridChange",
    "GridColumn",
    "ImportUpload",
    "Mention",
    "Notification",
    "OutgoingMail",
    "Role",
    "ServiceArea",
    "ServiceAreaCategory",
    "User",
    "UserRole",
    "UserSession",
    "Watch",
]

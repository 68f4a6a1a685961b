"""Import every domain's models so that Alembic and create_all see the whole schema."""

from grid_app.audit.models import AuditEvent
from grid_app.auth.models import Role, User, UserRole, UserSession
from grid_app.discussion.models import Comment, CommentEdit
from grid_app.exchange.models import ImportUpload, ServiceAreaCategory
from grid_app.gaps.models import GapFlag, GapFlagEvent
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
    "CellRevision",
    "ColumnKind",
    "Comment",
    "CommentEdit",
    "GapFlag",
    "GapFlagEvent",
    "Grid",
    "GridChange",
    "GridColumn",
    "ImportUpload",
    "Role",
    "ServiceArea",
    "ServiceAreaCategory",
    "User",
    "UserRole",
    "UserSession",
]

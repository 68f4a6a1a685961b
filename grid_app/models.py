"""Import every domain's models so that Alembic and create_all see the whole schema."""

from grid_app.audit.models import AuditEvent
from grid_app.auth.models import (
    AccountToken,
    Invitation,
    RecoveryCode,
    Role,
    SecondFactor,
    User,
    UserRole,
    UserSession,
)
from grid_app.dataprotection.models import RetentionSetting
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
from grid_app.gaps.models import CellFlagTally, FlagDayTally, GapFlag, GapFlagEvent
from grid_app.grid.models import (
    AppliedSave,
    Cell,
    CellRevision,
    ColumnKind,
    Grid,
    GridChange,
    GridColumn,
    ServiceArea,
)
from grid_app.people.models import AccountRequest, PeopleSetting
from grid_app.safe_space.models import (
    Consent,
    Contribution,
    GroundRulesTemplate,
    Insight,
    SafeSpaceSession,
    SessionParticipant,
    Theme,
    WaitingContribution,
)
from grid_app.search import schema as _search
from grid_app.sso.models import SignInPolicy, SsoIdentity

# The search indexes are built with the tables whose text they read.
_search.install()

__all__ = [
    "AccountRequest",
    "AccountToken",
    "AppliedSave",
    "AuditEvent",
    "Cell",
    "CellFlagTally",
    "CellRevision",
    "CellThreadTally",
    "ColumnKind",
    "Comment",
    "CommentEdit",
    "Consent",
    "Contribution",
    "FlagDayTally",
    "GapFlag",
    "GapFlagEvent",
    "Grid",
    "GridChange",
    "GridColumn",
    "GroundRulesTemplate",
    "ImportUpload",
    "Insight",
    "Invitation",
    "Mention",
    "Notification",
    "OutgoingMail",
    "PeopleSetting",
    "RecoveryCode",
    "RetentionSetting",
    "Role",
    "SafeSpaceSession",
    "SecondFactor",
    "ServiceArea",
    "ServiceAreaCategory",
    "SessionParticipant",
    "SignInPolicy",
    "SsoIdentity",
    "Theme",
    "User",
    "UserRole",
    "UserSession",
    "WaitingContribution",
    "Watch",
]

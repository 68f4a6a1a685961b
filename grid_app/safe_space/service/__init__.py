"""Running safe-space sessions (called meetings in code). Each function takes the acting
person and checks what they may do: only a session's facilitator and the people invited to
it ever reach its contents.

Nothing here writes an audit event, log line or notification that names the author of an
anonymous contribution, or says when it was written.

The parts: _common (limits and who may do what), meetings (the session itself and its
default ground rules), contributions, sealing (anonymous contributions join the board in
shuffled batches), themes, insights (and consent), purge (retention).
"""

from grid_app.safe_space.service._common import (
    CONTRIBUTION_MAX,
    DEFAULT_GROUND_RULES,
    DEFAULT_SIGNPOSTING,
    GROUP_NOTE_MAX,
    INSIGHT_MAX,
    NOTES_MAX,
    RETENTION_DEFAULT,
    RETENTION_MAX,
    RETENTION_MIN,
    RULES_MAX,
    THEME_NAME_MAX,
    TITLE_MAX,
    can_facilitate,
    check_access,
    has_joined,
    is_facilitator_of,
    participant_record,
    require_facilitator,
)
from grid_app.safe_space.service.contributions import (
    add_contribution,
    edit_contribution,
    require_own_named,
    set_hidden,
    withdraw_by_receipt,
    withdraw_contribution,
)
from grid_app.safe_space.service.insights import (
    ConsentState,
    consent_state,
    decide_consent,
    draft_insight,
    edit_insight,
    mark_reviewed,
    promote,
    record_group_consent,
)
from grid_app.safe_space.service.meetings import (
    SessionFields,
    Template,
    accept_rules,
    close_meeting,
    create_meeting,
    meeting_fields,
    record_read,
    reopen_meeting,
    reopen_until,
    require_can_create,
    require_template_editor,
    save_template,
    template,
    update_meeting,
)
from grid_app.safe_space.service.purge import PurgeItem, purge_due
from grid_app.safe_space.service.sealing import (
    SealItem,
    seal,
    seal_due,
    seal_meeting,
    waiting_count,
)
from grid_app.safe_space.service.themes import (
    create_theme,
    merge_theme,
    move_contributions,
    update_theme,
)

__all__ = [
    "CONTRIBUTION_MAX",
    "DEFAULT_GROUND_RULES",
    "DEFAULT_SIGNPOSTING",
    "GROUP_NOTE_MAX",
    "INSIGHT_MAX",
    "NOTES_MAX",
    "RETENTION_DEFAULT",
    "RETENTION_MAX",
    "RETENTION_MIN",
    "RULES_MAX",
    "THEME_NAME_MAX",
    "TITLE_MAX",
    "ConsentState",
    "PurgeItem",
    "SealItem",
    "SessionFields",
    "Template",
    "accept_rules",
    "add_contribution",
    "can_facilitate",
    "check_access",
    "close_meeting",
    "consent_state",
    "create_meeting",
    "create_theme",
    "decide_consent",
    "draft_insight",
    "edit_contribution",
    "edit_insight",
    "has_joined",
    "is_facilitator_of",
    "mark_reviewed",
    "meeting_fields",
    "merge_theme",
    "move_contributions",
    "participant_record",
    "promote",
    "purge_due",
    "record_group_consent",
    "record_read",
    "reopen_meeting",
    "reopen_until",
    "require_can_create",
    "require_facilitator",
    "require_own_named",
    "require_template_editor",
    "save_template",
    "seal",
    "seal_due",
    "seal_meeting",
    "set_hidden",
    "template",
    "update_meeting",
    "update_theme",
    "waiting_count",
    "withdraw_by_receipt",
    "withdraw_contribution",
]

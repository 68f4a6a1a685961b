"""Demo data: the grid a council might start from, with some cells left empty on purpose."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from grid_app.auth import service as auth_service
from grid_app.auth.models import OPERATOR, EmailFrequency, Role, User
from grid_app.database import utcnow
from grid_app.discussion import notifications
from grid_app.discussion import service as discussion_service
from grid_app.extensions import db
from grid_app.gaps import service as gap_service
from grid_app.grid import service as grid_service
from grid_app.grid.models import Cell, ColumnKind, Grid, GridColumn, ServiceArea
from grid_app.safe_space import service as safe_space
from grid_app.safe_space.models import Contribution

GRID_NAME = "Grid for Supporting People"
# How long ago each service area's cells were first written, row by row.
DAYS_AGO = [12, 95, 40, 230, 21, 300, 5, 150]

PEOPLE: list[tuple[str, str, tuple[Role, ...]]] = [
    ("contributor@example.org", "Chris Contributor", (Role.CONTRIBUTOR,)),
    ("manager@example.org", "Morgan Manager", (Role.CONTRIBUTOR, Role.MANAGER)),
    ("facilitator@example.org", "Femi Facilitator", (Role.CONTRIBUTOR, Role.FACILITATOR)),
    ("admin@example.org", "Ada Admin", (Role.CONTRIBUTOR, Role.ADMIN)),
    ("ngozi.adeyemi@example.org", "Ngozi Adeyemi", (Role.CONTRIBUTOR, Role.MANAGER)),
    ("tom.hughes@example.org", "Tom Hughes", (Role.CONTRIBUTOR,)),
    ("priya.shah@example.org", "Priya Shah", (Role.CONTRIBUTOR, Role.MANAGER)),
    ("marcus.reid@example.org", "Marcus Reid", (Role.CONTRIBUTOR, Role.FACILITATOR)),
]

COLUMNS = [
    ("Strategy", ColumnKind.TEXT),
    ("Evidence", ColumnKind.TEXT),
    ("Gaps", ColumnKind.TEXT),
    ("Owner", ColumnKind.PEOPLE),
]

# Per service area: strategy, evidence, gaps, (owner emails, contact note). "" is left empty.
ROWS: list[tuple[str, str, str, str, tuple[tuple[str, ...], str]]] = [
    (
        "Safe spaces for staff",
        "Regular facilitated sessions where black staff can talk about how their personal "
        "and professional experience meet at work, including the micro-aggressions they "
        "meet, and what that says about our culture.",
        "",
        "No agreed way yet to carry what is said in sessions into service planning "
        "without exposing the people who said it.",
        (("marcus.reid@example.org",), "Staff networks lead"),
    ),
    (
        "Social work",
        "Move from an implicit to an **explicit** anti-racist model of practice. Use "
        "critical race theory to examine structural racism and how it can shape "
        "decisions, and look at the dynamics between families and social workers.",
        "Practice workshops run with two social work teams in the autumn.",
        "",
        (("ngozi.adeyemi@example.org",), ""),
    ),
    (
        "Corporate parenting",
        "Be the best parent we can for the children in our care: raise them to be high on "
        "ambition, confident in themselves and ready to face structural racism. The "
        "corporate parenting strategy is being reviewed with this in mind.",
        "A snapshot of the children in our care:\n\n"
        "- 186 children in care\n"
        "- 83% from Black, Asian and minority ethnic backgrounds\n"
        "- 28% unaccompanied asylum-seeking children",
        "Children's own views on the strategy have not been gathered yet.",
        (("priya.shah@example.org",), ""),
    ),
    (
        "Early Help, Early Years and Youth Work",
        "Build anti-racist ways of working across early help, early years and youth work: "
        "new curriculums and resources, and youth work re-imagined for today.",
        "",
        "",
        ((), ""),
    ),
    (
        "Education",
        "Review the curriculum used in schools and settings with an external partner, and "
        "spread what is learned through learning hubs where schools share practice.",
        "Curriculum review completed with a partner organisation; findings shared through "
        "the [learning hubs](https://example.org/learning-hubs).",
        "",
        ((), "Head of school improvement"),
    ),
    (
        "Youth Justice",
        "Work inside the council and with partners to reduce long-standing and serious "
        "disproportionality in the youth justice system, including a regional group of "
        "youth justice services tackling it together.",
        "",
        "Local data on outcomes by ethnicity is not published alongside the plan.",
        (("tom.hughes@example.org",), ""),
    ),
    (
        "Corporate & HR",
        "Anti-racist policies for recruiting, keeping and supporting staff.",
        "",
        "",
        ((), ""),
    ),
    (
        "Partnerships",
        "Wider corporate and partnership work to understand and respond to racism and "
        "inequality, such as the safeguarding partnership's annual report and a cabinet "
        "report on inequalities in the criminal justice system.",
        "See the [safeguarding partnership annual report](https://example.org/annual-report).",
        "",
        ((), ""),
    ),
]


def load(password: str) -> bool:
    """Create the demo people and grid; do nothing (and return False) if a grid exists."""
    if db.session.scalar(select(func.count(Grid.id))):
        return False
    people: dict[str, User] = {}
    for email, name, roles in PEOPLE:
        existing = db.session.scalar(select(User).where(User.email == email))
        people[email] = existing or auth_service.create_user(
            OPERATOR, email, name, password, roles=roles
        )
    grid = grid_service.create_grid(
        OPERATOR,
        GRID_NAME,
        rows=[row[0] for row in ROWS],
        columns=COLUMNS,
        description="Our anti-racist and disproportionality work, service by service. "
        "It has gaps, and it is meant to be filled in by everyone.",
    )
    # The demo grid has been in use for a year, so its history can be browsed.
    started = utcnow() - timedelta(days=365)
    grid.created_at = started
    parts: list[ServiceArea | GridColumn] = [
        *db.session.scalars(select(ServiceArea).where(ServiceArea.grid_id == grid.id)),
        *db.session.scalars(select(GridColumn).where(GridColumn.grid_id == grid.id)),
    ]
    for part in parts:
        part.created_at = started
    cells = {
        (c.row.name, c.column.name): c
        for c in db.session.scalars(
            select(Cell).join(ServiceArea).join(GridColumn).where(Cell.grid_id == grid.id)
        )
    }
    # No email for what the demo itself does; everyone gets email straight away afterwards.
    for person in people.values():
        person.email_frequency = EmailFrequency.NONE.value
    authors = [people[e] for e, _, _ in PEOPLE]
    now = utcnow()
    for index, (area, strategy, evidence, gaps, (owner_emails, contact)) in enumerate(ROWS):
        author = authors[index % len(authors)]
        columns = (("Strategy", strategy), ("Evidence", evidence), ("Gaps", gaps))
        for offset, (column, text) in enumerate(columns):
            if text:
                cell = cells[(area, column)]
                grid_service.save_cell(
                    author,
                    cell,
                    expected_version=cell.version,
                    text=text,
                    summary="First draft",
                    # Spread the demo's history over the past year, some of it long unreviewed.
                    at=now - timedelta(days=DAYS_AGO[index] + 3 * offset, hours=index),
                )
        if owner_emails or contact:
            cell = cells[(area, "Owner")]
            grid_service.save_cell(
                people["manager@example.org"],
                cell,
                expected_version=cell.version,
                text=contact,
                owner_ids=[people[e].id for e in owner_emails],
                summary="Owner agreed",
                at=now - timedelta(days=DAYS_AGO[index]),
            )
    _flag_gaps(people, cells)
    _discuss(people, cells)
    _listen(people)
    for person in people.values():
        person.email_frequency = EmailFrequency.IMMEDIATE.value
    return True


def _discuss(people: dict[str, User], cells: dict[tuple[str, str], Cell]) -> None:
    """A thread with a mention and a reply, and a watched service area, so that the
    demo people have notifications under their bell."""
    contributor = people["contributor@example.org"]
    manager = people["manager@example.org"]
    cell = cells[("Youth Justice", "Evidence")]
    notifications.set_watch(contributor, cell, whole_row=True, on=True)
    thread = discussion_service.add_comment(
        contributor,
        cell,
        body="Do we have the Youth Justice Board's disproportionality figures for our area? "
        "@manager@example.org, could you ask the data team?",
    )
    discussion_service.add_comment(
        manager,
        cell,
        body="Asked today. They expect to share them next month.",
        parent_id=thread.id,
    )


SESSION_TITLE = "Listening session: experiences at work"
SESSION_INVITED = ("contributor@example.org", "tom.hughes@example.org", "ngozi.adeyemi@example.org")
# (who said it, anonymously?, what they said, under the theme?)
CONTRIBUTIONS: list[tuple[str, bool, str, bool]] = [
    (
        "contributor@example.org",
        False,
        "In meetings my ideas are often passed over until someone else repeats them. It "
        "happens often enough that I now rehearse what I am going to say beforehand.",
        True,
    ),
    (
        "tom.hughes@example.org",
        True,
        "When I raised a comment that had upset me, the first question was whether I might "
        "have misunderstood it. I did not raise the next one.",
        True,
    ),
    (
        "ngozi.adeyemi@example.org",
        False,
        "Seeing people who look like me in senior roles would make a real difference to "
        "whether I believe I can progress here.",
        False,
    ),
    (
        "contributor@example.org",
        True,
        "Comments about my hair, or questions about where I am really from, are small each "
        "time, but they add up. I worry that saying so would make me seem difficult.",
        False,
    ),
]
THEME_NAME = "Not being heard or believed"
INSIGHT = (
    "Several people described their ideas and concerns being discounted at work: "
    "suggestions overlooked until someone else repeats them, and concerns about racist "
    "comments met first with doubt. Some have stopped raising concerns as a result."
)


def _listen(people: dict[str, User]) -> None:
    """An open safe-space session held a few days ago, with named and anonymous
    contributions, a theme and a drafted insight waiting for agreement."""
    facilitator = people["facilitator@example.org"]
    defaults = safe_space.template()
    held = (utcnow() - timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    session = safe_space.create_meeting(
        facilitator,
        safe_space.SessionFields(
            title=SESSION_TITLE,
            starts_at=held.isoformat(),
            ground_rules=defaults.ground_rules,
            signposting=defaults.signposting,
            invitees="\n".join(SESSION_INVITED),
        ),
    )
    for email in SESSION_INVITED:
        safe_space.accept_rules(people[email], session)
    theme = safe_space.create_theme(facilitator, session, THEME_NAME)
    for email, anonymous, body, _themed in CONTRIBUTIONS:
        # The receipt of a demo anonymous contribution is not kept: nobody can withdraw it.
        safe_space.add_contribution(people[email], session, body=body, anonymous=anonymous)
    safe_space.seal_meeting(facilitator, session)
    themed = {body for _email, _anonymous, body, themed in CONTRIBUTIONS if themed}
    keys = db.session.scalars(
        select(Contribution.id).where(
            Contribution.session_id == session.id, Contribution.body.in_(themed)
        )
    ).all()
    safe_space.move_contributions(facilitator, session, list(keys), theme.id)
    safe_space.draft_insight(facilitator, session, theme.id, INSIGHT)


def _flag_gaps(people: dict[str, User], cells: dict[tuple[str, str], Cell]) -> None:
    """A few gap flags, at different points of their workflow, for managers to triage."""
    contributor = people["contributor@example.org"]
    manager = people["manager@example.org"]
    gap_service.raise_flag(
        contributor,
        cells[("Youth Justice", "Evidence")],
        what_is_missing="No local figures on youth justice outcomes by ethnicity.",
        severity="high",
    )
    owner = gap_service.raise_flag(
        people["tom.hughes@example.org"],
        cells[("Early Help, Early Years and Youth Work", "Owner")],
        what_is_missing="Nobody owns this service area's anti-racist work yet.",
        severity="high",
    )
    gap_service.change(
        manager, owner, gap_service.Action.ACKNOWLEDGE, expected_version=owner.version
    )
    staff = gap_service.raise_flag(
        contributor,
        cells[("Corporate & HR", "Evidence")],
        what_is_missing="No data on who is shortlisted and appointed, by ethnicity.",
        severity="medium",
    )
    gap_service.change(
        manager,
        staff,
        gap_service.Action.ASSIGN,
        expected_version=staff.version,
        owner_id=people["priya.shah@example.org"].id,
        due_date=(utcnow() + timedelta(days=60)).date(),
    )

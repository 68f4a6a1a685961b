"""The mapping from the provider's groups to roles, as configured in OIDC_GROUP_ROLES."""

from __future__ import annotations

from grid_app.auth.models import Role


def parse_group_roles(text: str) -> dict[str, Role]:
    """Read "group=role,group=role"; ValueError names an entry that is not one."""
    mapping: dict[str, Role] = {}
    for entry in text.split(","):
        if not entry.strip():
            continue
        group, _, role = entry.partition("=")
        if not group.strip() or role.strip() not in set(Role):
            raise ValueError(f"{entry.strip()!r} is not group=role with a role of {list(Role)}")
        mapping[group.strip()] = Role(role.strip())
    return mapping

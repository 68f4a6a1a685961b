"""People, roles, sign-in and signed-in sessions."""

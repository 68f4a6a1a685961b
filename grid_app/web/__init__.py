"""Web plumbing shared by every domain's views."""

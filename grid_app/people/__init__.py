"""Admins looking after people: who holds which roles, and who may still sign in."""

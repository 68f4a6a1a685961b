"""Helpers for export and import tests: fill cells, read downloads back."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from openpyxl import load_workbook

from grid_app.auth.models import User
from grid_app.extensions import db
from grid_app.grid import service as grid_service
from grid_app.grid.models import Cell
from tests.conftest import GridRef


def fill(app: Flask, people, grid: GridRef, where: tuple[str, str], text: str, owners=None):
    """Save a cell as the contributor, through the grid's own service."""
    with app.app_context():
        cell = db.session.get_one(Cell, grid.cells[where])
        grid_service.save_cell(
            db.session.get_one(User, people["contributor"].id),
            cell,
            expected_version=cell.version,
            text=text,
            owner_ids=[people[o].id for o in owners] if owners is not None else None,
        )
        db.session.commit()


def workbook(data: bytes) -> Any:
    """An XLSX download, read back as openpyxl would."""
    return load_workbook(io.BytesIO(data))


def sheet_values(sheet: Any) -> list[list[Any]]:
    return [[c.value for c in row] for row in sheet.iter_rows()]


@pytest.fixture
def manager(client, people):
    """The client, signed in as a manager."""
    client.sign_in(people["manager"])
    return client


@pytest.fixture
def admin(client, people):
    """The client, signed in as an admin."""
    client.sign_in(people["admin"])
    return client

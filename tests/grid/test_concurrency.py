"""No lost update: several OS processes save one cell from the same version at once."""

from __future__ import annotations

import multiprocessing as mp
from typing import Any

from flask import Flask

from grid_app.extensions import db
from grid_app.grid.models import CellRevision
from tests.conftest import HX, TEST_HASH_METHOD, Client, version_of

WRITERS = 6


def _writer(
    config: dict[str, Any], email: str, password: str, cell_id: int, text: str, barrier: Any
) -> int:
    """One browser in its own process: sign in, wait for the others, then save."""
    from grid_app import create_app

    app = create_app(config)
    app.test_client_class = Client
    client: Client = app.test_client()  # type: ignore[assignment]
    client.post_form("/sign-in", {"email": email, "password": password})
    token = client.csrf_token()
    barrier.wait(timeout=60)
    response = client.post(
        f"/cells/{cell_id}",
        data={"csrf_token": token, "text": text, "version": "1"},
        headers=HX,
    )
    return response.status_code


def test_concurrent_saves_from_one_version_let_exactly_one_win(app: Flask, people, grid):
    cell_id = grid.cells[("Social work", "Evidence")]
    config = {
        "TESTING": True,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": app.instance_path,
        "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
    }
    ctx = mp.get_context("spawn")
    barrier = ctx.Manager().Barrier(WRITERS)
    from tests.conftest import PASSWORD

    with ctx.Pool(WRITERS) as pool:
        results = [
            pool.apply_async(
                _writer,
                (config, people["contributor"].email, PASSWORD, cell_id, f"Text {n}", barrier),
            )
            for n in range(WRITERS)
        ]
        statuses = sorted(r.get(timeout=120) for r in results)

    assert statuses == [200] + [409] * (WRITERS - 1)
    with app.app_context():
        saved = list(
            db.session.scalars(db.select(CellRevision).where(CellRevision.cell_id == cell_id))
        )
    assert len(saved) == 1
    assert version_of(app, cell_id) == 2

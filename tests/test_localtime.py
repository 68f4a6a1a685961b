"""Times are stored in UTC and read and typed in local time (Europe/London by default)."""

from __future__ import annotations

from datetime import datetime

import pytest
from flask import Flask

from grid_app import create_app, localtime
from grid_app.config import ConfigError
from grid_app.web.templating import time_tag, when


@pytest.fixture
def london(tmp_path) -> Flask:
    return create_app(
        {"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    )


def test_summer_time_is_an_hour_ahead_of_utc(london):
    with london.app_context():
        assert localtime.to_utc(datetime(2026, 7, 1, 9, 0)) == datetime(2026, 7, 1, 8, 0)
        assert when(datetime(2026, 7, 1, 8, 0)) == "1 Jul 2026, 09:00"


def test_winter_time_is_utc(london):
    with london.app_context():
        assert localtime.to_utc(datetime(2026, 1, 15, 9, 0)) == datetime(2026, 1, 15, 9, 0)
        assert when(datetime(2026, 1, 15, 9, 0)) == "15 Jan 2026, 09:00"


def test_the_clocks_going_forward_and_back(london):
    with london.app_context():
        # 29 March 2026: at 01:00 UTC the clocks go from 01:00 to 02:00.
        assert when(datetime(2026, 3, 29, 0, 59)) == "29 Mar 2026, 00:59"
        assert when(datetime(2026, 3, 29, 1, 0)) == "29 Mar 2026, 02:00"
        # 25 October 2026: 01:30 happens twice; a typed 01:30 is read as the first.
        assert localtime.to_utc(datetime(2026, 10, 25, 1, 30)) == datetime(2026, 10, 25, 0, 30)
        assert when(datetime(2026, 10, 25, 0, 30)) == "25 Oct 2026, 01:30"
        assert when(datetime(2026, 10, 25, 1, 30)) == "25 Oct 2026, 01:30"
        assert localtime.to_utc(datetime(2026, 10, 25, 2, 30)) == datetime(2026, 10, 25, 2, 30)


def test_the_time_tag_keeps_utc_for_machines_and_shows_local_time(london):
    with london.app_context():
        tag = str(time_tag(datetime(2026, 7, 1, 8, 0)))
    assert 'datetime="2026-07-01T08:00:00Z"' in tag and 'title="1 Jul 2026, 09:00"' in tag


def test_the_zone_is_configurable(tmp_path):
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
            "TIMEZONE": "America/New_York",
        }
    )
    with app.app_context():
        assert when(datetime(2026, 7, 1, 13, 0)) == "1 Jul 2026, 09:00"
        assert localtime.zone_name() == "America/New York"


def test_an_unknown_zone_is_refused_at_start(tmp_path):
    with pytest.raises(ConfigError, match="TIMEZONE"):
        create_app(
            {
                "INSTANCE_PATH": str(tmp_path),
                "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
                "TIMEZONE": "Mars/Olympus",
            }
        )

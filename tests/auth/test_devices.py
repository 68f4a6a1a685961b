"""The short label a sign-in session keeps of the browser and system it started on."""

from __future__ import annotations

import pytest

from grid_app.auth.devices import UNKNOWN, describe

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
SAMSUNG_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36"
)
OPERA_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 OPR/116.0.0.0"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHROME_IOS = (
    "Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1"
)
CHROMEBOOK = (
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15"
)


@pytest.mark.parametrize(
    "agent,label",
    [
        (FIREFOX_WINDOWS, "Firefox on Windows"),
        (CHROME_MAC, "Chrome on macOS"),
        (EDGE_WINDOWS, "Edge on Windows"),
        (SAFARI_IPHONE, "Safari on iPhone"),
        (CHROME_ANDROID, "Chrome on Android"),
        (SAMSUNG_ANDROID, "Samsung Internet on Android"),
        (OPERA_WINDOWS, "Opera on Windows"),
        (FIREFOX_LINUX, "Firefox on Linux"),
        (CHROME_IOS, "Chrome on iPad"),
        (CHROMEBOOK, "Chrome on ChromeOS"),
        (SAFARI_MAC, "Safari on macOS"),
    ],
)
def test_common_browsers_are_named_with_their_system(agent, label):
    assert describe(agent) == label


def test_a_browser_on_an_unknown_system_is_named_alone():
    assert describe("Mozilla/5.0 (Haiku) Gecko/20100101 Firefox/133.0") == "Firefox"


def test_an_unknown_browser_on_a_known_system_names_the_system():
    assert describe("Mozilla/5.0 (Windows NT 10.0) Strangebrowser/1.0") == "A browser on Windows"


@pytest.mark.parametrize("agent", ["", None, "curl/8.5.0", "x" * 100_000])
def test_nothing_recognisable_is_an_unknown_browser(agent):
    assert describe(agent) == UNKNOWN

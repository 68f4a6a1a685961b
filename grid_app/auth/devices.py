"""A short, readable name for the browser and system a User-Agent header describes.

Only the label ("Firefox on Windows") is kept with a sign-in session, never the header
itself. The common browsers and systems are enough for a person to recognise their own
devices; anything else is named as unknown rather than guessed.
"""

from __future__ import annotations

import re

# Checked in order: several browsers also name the ones they are built on (Edge and Opera
# say "Chrome" and "Safari"; Chrome says "Safari").
_BROWSERS: list[tuple[str, str]] = [
    (r"\bEdg(e|A|iOS)?/", "Edge"),
    (r"\b(OPR|Opera|OPT)/", "Opera"),
    (r"\bSamsungBrowser/", "Samsung Internet"),
    (r"\b(Firefox|FxiOS)/", "Firefox"),
    (r"\b(Chrome|CriOS|HeadlessChrome|Chromium)/", "Chrome"),
    (r"\bVersion/[\d.]+.*\bSafari/", "Safari"),
]
_SYSTEMS: list[tuple[str, str]] = [
    (r"\bWindows\b", "Windows"),
    (r"\biPhone\b", "iPhone"),
    (r"\biPad\b", "iPad"),
    (r"\bAndroid\b", "Android"),
    (r"\bCrOS\b", "ChromeOS"),
    (r"\bMac OS X\b|\bMacintosh\b", "macOS"),
    (r"\bLinux\b", "Linux"),
]
UNKNOWN = "An unknown browser"
# The most that is looked at: a real User-Agent is far shorter, and a longer one is junk.
_READ_AT_MOST = 512


def _first(patterns: list[tuple[str, str]], agent: str) -> str | None:
    for pattern, name in patterns:
        if re.search(pattern, agent):
            return name
    return None


def describe(user_agent: str | None) -> str:
    """ "Firefox on Windows", "Safari on iPhone", "Chrome", "A browser on Linux" or, when
    nothing is recognised, "An unknown browser"."""
    agent = (user_agent or "")[:_READ_AT_MOST]
    browser = _first(_BROWSERS, agent)
    system = _first(_SYSTEMS, agent)
    if browser and system:
        return f"{browser} on {system}"
    if browser:
        return browser
    if system:
        return f"A browser on {system}"
    return UNKNOWN

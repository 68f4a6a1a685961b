"""Sign in to a running server and print the session cookie (name=value) for load tools."""

from __future__ import annotations

import http.cookiejar
import re
import sys
import urllib.parse
import urllib.request


def sign_in(base: str, email: str, password: str) -> str:
    """Return ``name=value`` of the session cookie after signing in through the form."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/sign-in").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if token is None:
        raise SystemExit("no CSRF token on the sign-in page")
    headers = {}
    # The cookie is Secure, so urllib will not send it back over http: do it by hand.
    session = next(iter(jar), None)
    if session is not None:
        headers["Cookie"] = f"{session.name}={session.value}"
    data = urllib.parse.urlencode(
        {"csrf_token": token.group(1), "email": email, "password": password}
    ).encode()
    request = urllib.request.Request(f"{base}/sign-in", data=data, headers=headers)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    try:
        response = urllib.request.build_opener(NoRedirect).open(request)
    except urllib.error.HTTPError as error:
        response = error
    for header in response.headers.get_all("Set-Cookie") or []:
        name_value = header.split(";", 1)[0]
        if name_value.startswith(("__Host-grid=", "grid=")):
            return name_value
    raise SystemExit(f"sign-in failed with status {response.status}")


if __name__ == "__main__":
    print(sign_in(*sys.argv[1:4]))

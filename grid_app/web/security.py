"""Response headers that keep pages private and scripts under our control."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request
from flask_wtf.csrf import CSRFError
from werkzeug import Response

# No inline script or style anywhere: htmx runs with allowEval off and its indicator
# styles off (see base.html), so nothing needs 'unsafe-inline' or 'unsafe-eval'.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


def init_app(app: Flask) -> None:
    """Add security headers to every response."""

    hsts = "max-age=31536000" + (
        "; includeSubDomains" if app.config["HSTS_INCLUDE_SUBDOMAINS"] else ""
    )

    @app.before_request
    def same_site_only() -> None:
        """Refuse a change sent from another site, over HTTP as over HTTPS.

        The CSRF token already stops a forged form; this also stops one sent from a page
        that somehow obtained a token. Browsers name the page a request came from in
        Origin (or Referer, which our Referrer-Policy keeps for our own pages).
        """
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return
        source = request.headers.get("Origin") or request.headers.get("Referer")
        if source is None:
            return
        parts = urlsplit(source)
        if f"{parts.scheme}://{parts.netloc}" != request.host_url.rstrip("/"):
            raise CSRFError("The request came from another site.")

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        # A page may ask for less (the password reset page, whose address is a secret).
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if request.endpoint != "static":
            # Pages hold sensitive work: never kept by shared or browser caches.
            response.headers["Cache-Control"] = "no-store"
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers["Strict-Transport-Security"] = hsts
        return response

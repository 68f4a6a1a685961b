"""How responses travel: compressed, and static files cached for a year under their hash.

Every static address carries a hash of the file's content (``?v=…``), so a file that changes
gets a new address: browsers may keep each address for a year without asking again, and a
second visit fetches nothing but the page. Pages themselves are never cached (see security).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from flask_compress import Compress

compress = Compress()

YEAR = 365 * 24 * 3600

# What is worth compressing; images other than SVG are compressed already.
COMPRESSED_TYPES = [
    "text/html",
    "text/css",
    "text/plain",
    "text/csv",
    "text/markdown",
    "text/javascript",
    "application/javascript",
    "application/json",
    "image/svg+xml",
]


@lru_cache(maxsize=256)
def _content_hash(path: Path, mtime_ns: int) -> str:
    # Keyed by modification time too, so an edited file (in development) gets a new address.
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def static_version(app: Flask, filename: str) -> str | None:
    """The content hash for a file in the static folder, or None if there is no such file."""
    folder = Path(app.static_folder or "").resolve()
    path = (folder / filename).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        return None
    return _content_hash(path, path.stat().st_mtime_ns)


def init_app(app: Flask) -> None:
    """Compress responses (brotli, zstd or gzip, as the browser accepts) and version static
    addresses."""
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    # Brotli first, then zstd; gzip for browsers that take nothing else (streamed downloads
    # cannot be gzipped by flask-compress, so they fall back to deflate).
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "zstd", "gzip"])
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "zstd", "deflate"])
    compress.init_app(app)

    # Every page links the same few files: served, their hashes are worked out once (a
    # deploy restarts the app); in debug, where files are edited as the app runs, each time.
    known: dict[str, str | None] = {}

    @app.url_defaults
    def version_static(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "v" not in values and "filename" in values:
            filename = values["filename"]
            if app.debug or filename not in known:
                known[filename] = static_version(app, filename)
            version = known[filename]
            if version:
                values["v"] = version

    # Runs before the compressor (after_request functions run newest first).
    @app.after_request
    def cache_static(response: Response) -> Response:
        if request.endpoint == "static" and response.status_code == 200:
            filename = (request.view_args or {}).get("filename", "")
            if request.args.get("v") and request.args["v"] == static_version(app, filename):
                response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
            # Read the (small) file now, closing it: compressing it as a stream would leave
            # the file open, and a whole body compresses better and takes gzip too.
            response.direct_passthrough = False
            response.make_sequence()
        return response

"""This app and a bare Flask + SQLite + Jinja app, served side by side on the same grid.

    .venv/bin/python bench/side_by_side.py                  # 50 × 4 and 100 × 8 cells
    .venv/bin/python bench/side_by_side.py --sizes 50x4 --rounds 2 --seconds 5

For each size (service areas × long-text columns) it builds two SQLite databases holding the
same Markdown texts: this app's (migrated with `flask db upgrade`, as `make run` does, then
filled through its services) and the bare app's (bench/bare_app.py). It serves both with
gunicorn, this app with the command line `make run` uses (read from `make -n run`) and the
bare app with the same worker class, workers and threads. It signs in to this app as a
contributor, then measures in rounds that alternate between the two servers:

- the grid page (GET), and
- a cell save: this app's real save endpoint, posted as the page's edit form posts it with
  htmx (CSRF token, the version the form started from, a fresh save key); a bare UPDATE in
  the bare app.

Each round sends requests one at a time (median and p95 latency), then runs `wrk` with 10
connections (requests/s, and p95 under that load). Server CPU per request is the servers'
own CPU time (utime + stime in /proc/<pid>/stat, master and workers) over the round,
divided by the requests served. Memory is the RSS of all server processes, summed.

Prints a Markdown table per size and writes every figure to bench/out/side-by-side-<time>.json,
with the machine's cores and load average.

Needs `wrk` (Debian: `apt-get install -y wrk`).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import secrets
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"
VENV = Path(sys.executable).parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import bare_app  # noqa: E402  (bench/ is this script's folder)
from build_large import area_names, make_text  # noqa: E402

PASSWORD = "side-by-side-2026"
CONTRIBUTOR = "casey.contributor@example.org"
AUTHORS = ["Ngozi Adeyemi", "Tom Hughes", "Priya Shah", "Marcus Reid", "Aisha Khan"]
COLUMN_NAMES = ["Strategy", "Evidence", "Gaps", "Actions", "Outcomes", "Risks", "Review notes"]
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
WRK_INSTALL = "wrk is needed for the load rounds: install it with `apt-get install -y wrk`."


# --- Building the two databases -----------------------------------------------------------


@dataclass
class Built:
    """What the servers and the client need to know about the data."""

    app_database: Path
    bare_database: Path
    slug: str
    cells: list[tuple[int, str]]  # (cell id, text) of every cell, in page order


def column_names(count: int) -> list[str]:
    """`count` names for long-text columns."""
    extra = [f"Notes {k}" for k in range(1, count + 1)]
    return [*COLUMN_NAMES, *extra][:count]


def build(folder: Path, areas: int, columns: int, seed: int) -> Built:
    """Build this app's database through its services, and the bare app's with the same cells."""
    app_database = folder / f"app-{areas}x{columns}.db"
    bare_database = folder / f"bare-{areas}x{columns}.db"
    # Migrated as `make run` migrates: `flask db upgrade` on DATABASE_URL.
    subprocess.run(
        [str(VENV / "bin" / "flask"), "--app", "grid_app", "db", "upgrade"],
        cwd=ROOT,
        env={**clean_env(), "DATABASE_URL": f"sqlite:///{app_database}"},
        check=True,
        capture_output=True,
    )

    from sqlalchemy import select

    from grid_app import create_app
    from grid_app.auth import service as auth_service
    from grid_app.auth.models import OPERATOR, Role, User
    from grid_app.extensions import db
    from grid_app.grid import service as grid_service
    from grid_app.grid.models import Cell, ColumnKind, GridColumn, ServiceArea

    rng = random.Random(seed)
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{app_database}",
            "SECRET_KEY": "bench",
            # Cheap scrypt, as in the tests: creating people is not what is measured.
            "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        }
    )
    with app.app_context():
        auth_service.create_user(OPERATOR, CONTRIBUTOR, "Casey Contributor", PASSWORD)
        authors = [
            auth_service.create_user(
                OPERATOR,
                f"{name.lower().replace(' ', '.')}@example.org",
                name,
                PASSWORD,
                roles=(Role.CONTRIBUTOR,),
            )
            for name in AUTHORS
        ]
        grid = grid_service.create_grid(
            OPERATOR,
            f"Grid {areas} x {columns}",
            rows=area_names(areas),
            columns=[(name, ColumnKind.TEXT) for name in column_names(columns)],
        )
        db.session.commit()
        cells = db.session.scalars(select(Cell).where(Cell.grid_id == grid.id)).all()
        for cell in cells:
            grid_service.save_cell(
                rng.choice(authors), cell, expected_version=cell.version, text=make_text(rng)
            )
        db.session.commit()
        slug = grid.slug

        people = [(u.id, u.display_name) for u in db.session.scalars(select(User))]
        area_rows = db.session.execute(
            select(ServiceArea.id, ServiceArea.name)
            .where(ServiceArea.grid_id == grid.id)
            .order_by(ServiceArea.position)
        ).all()
        column_rows = db.session.execute(
            select(GridColumn.id, GridColumn.name)
            .where(GridColumn.grid_id == grid.id)
            .order_by(GridColumn.position)
        ).all()
        area_order = {row_id: i for i, (row_id, _) in enumerate(area_rows)}
        column_order = {column_id: i for i, (column_id, _) in enumerate(column_rows)}
        cells = sorted(cells, key=lambda c: (area_order[c.row_id], column_order[c.column_id]))
        source = [
            bare_app.SourceCell(
                id=c.id,
                row_id=c.row_id,
                column_id=c.column_id,
                text=c.text,
                html=c.html,
                version=c.version,
                updated_at=c.updated_at.isoformat() if c.updated_at else None,
                updated_by_id=c.updated_by_id,
            )
            for c in cells
        ]
        order = [(c.id, c.text) for c in cells]
        db.session.remove()
        db.engine.dispose()
    bare_app.build(
        bare_database,
        people,
        [(row_id, name) for row_id, name in area_rows],
        [(column_id, name) for column_id, name in column_rows],
        source,
    )
    return Built(app_database, bare_database, slug, order)


# --- Serving ------------------------------------------------------------------------------


def clean_env() -> dict[str, str]:
    """The environment without anything that would point the app elsewhere."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FLASK_", "REDIS_URL", "DATABASE_URL", "WORKERS", "THREADS"))
    }


def make_run_command(port: int) -> list[str]:
    """The gunicorn command line `make run` runs (read from the Makefile, not copied)."""
    printed = subprocess.run(
        ["make", "--no-print-directory", "-n", "run", f"VENV={VENV}", f"PORT={port}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env=clean_env(),
    ).stdout.replace("\\\n", " ")
    (line,) = [line for line in printed.splitlines() if "/gunicorn " in line]
    # The recipe starts the scheduled seal first, in the same shell line.
    (command,) = [part for part in line.split(";") if "/gunicorn " in part]
    return shlex.split(command)


def bare_command(app_command: list[str]) -> list[str]:
    """The same gunicorn command line serving the bare app: same worker class, workers,
    threads and logging; without this app's gunicorn.conf.py, whose hooks are the app's."""
    command: list[str] = []
    words = iter(app_command)
    for word in words:
        if word == "--config":
            next(words)
        elif word.startswith("--config="):
            continue
        elif word.startswith("grid_app:create_app("):
            command += ["--pythonpath", str(BENCH), "bare_app:create_app()"]
        else:
            command.append(word)
    return command


def port_of(command: list[str]) -> int:
    """The port a gunicorn command line binds."""
    bind = command[command.index("--bind") + 1]
    return int(bind.rsplit(":", 1)[1])


def free_port() -> int:
    """A port nobody listens on now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A gunicorn serving one of the two apps, and its processes' CPU time and memory."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.command = command
        self.port = port_of(command)
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self.cookie = ""

    def wait_until_ready(self) -> None:
        """Wait until /healthz answers (or fail with the server's own words)."""
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5):
                    return
            except OSError as error:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.process.kill()
                    _, errors = self.process.communicate()
                    raise SystemExit(
                        f"{self.name} did not start:\n{errors.decode()[-3000:]}"
                    ) from error
                time.sleep(0.2)

    def pids(self) -> list[int]:
        """The master and every process it has forked."""
        found = [self.process.pid]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                found.append(int(stat.parent.name))
        return found

    def cpu_seconds(self) -> float:
        """utime + stime of the master and its workers (all their threads)."""
        ticks = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / CLK_TCK

    def rss_mib(self) -> float:
        """Resident memory of the master and its workers, summed."""
        pages = 0
        for pid in self.pids():
            try:
                pages += int(Path(f"/proc/{pid}/statm").read_text().split()[1])
            except OSError:
                continue
        return pages * PAGE_SIZE / 2**20

    def stop(self) -> None:
        """Stop gunicorn (it stops its workers)."""
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- The two endpoints, as each server takes them ------------------------------------------


@dataclass
class Endpoint:
    """How to ask one server for the grid page or a cell save."""

    server: Server
    kind: str  # "grid page" or "cell save"
    path: str  # GET path, or the save path with {cell}
    headers: dict[str, str]
    # For saves: the form without text, version and key; the cells to save and their texts.
    form: dict[str, str] = field(default_factory=dict)
    cells: list[tuple[int, str]] = field(default_factory=list)
    versions: Callable[[list[int]], dict[int, int]] | None = None


def sign_in(server: Server) -> tuple[str, str]:
    """Sign in through the real form as the contributor; the Cookie header and a CSRF token
    read from a cell's edit form."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{server.port}"
    with opener.open(f"{base}/sign-in", timeout=30) as page:
        token = csrf_token(page.read().decode())
    form = urllib.parse.urlencode({"csrf_token": token, "email": CONTRIBUTOR, "password": PASSWORD})
    with opener.open(f"{base}/sign-in", form.encode(), timeout=30) as answer:
        answer.read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, token


def csrf_token(html: str) -> str:
    """The CSRF token in a form."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if found is None:
        raise SystemExit("No CSRF token in the form.")
    return found.group(1)


def edit_form(server: Server, cookie: str, cell_id: int) -> dict[str, str]:
    """The hidden fields of a cell's edit form, fetched as the grid page's Edit link does."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    connection.request(
        "GET",
        f"/cells/{cell_id}/edit",
        headers={"Cookie": cookie, "HX-Request": "true", "HX-Target": f"cell-{cell_id}"},
    )
    answer = connection.getresponse()
    html = answer.read().decode()
    connection.close()
    if answer.status != 200:
        raise SystemExit(f"The edit form answered {answer.status}.")
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', html))
    missing = {"csrf_token", "version", "save_key"} - fields.keys()
    if missing or 'name="text"' not in html or 'name="summary"' not in html:
        raise SystemExit(f"The edit form has changed (missing {sorted(missing)}).")
    return fields


def versions_in(database: Path) -> Callable[[list[int]], dict[int, int]]:
    """Read cells' current versions straight from a SQLite file."""
    import sqlite3

    def read(cell_ids: list[int]) -> dict[int, int]:
        connection = sqlite3.connect(database, timeout=30)
        marks = ",".join("?" * len(cell_ids))
        found = connection.execute(
            f"SELECT id, version FROM cell WHERE id IN ({marks})", cell_ids
        ).fetchall()
        connection.close()
        return dict(found)

    return read


def save_body(endpoint: Endpoint, cell_id: int, text: str, version: int, n: int) -> str:
    """A save form: the edit form's fields, a changed text and a fresh save key."""
    return urllib.parse.urlencode(
        {
            **endpoint.form,
            "version": str(version),
            "save_key": secrets.token_urlsafe(24),
            "text": f"{text} (update {n})",
        }
    )


# --- One round ----------------------------------------------------------------------------


@dataclass
class Figures:
    """Everything measured for one endpoint of one server, over all rounds."""

    latencies_ms: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0
    requests: int = 0
    wrk: list[dict[str, Any]] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)
    failures: int = 0
    statuses: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, float]:
        """Median and p95 latency, CPU per request, requests/s and p95 at 10 clients, RSS."""
        wrk_requests = sum(w["requests"] for w in self.wrk)
        wrk_seconds = sum(w["duration_us"] for w in self.wrk) / 1e6
        return {
            "median_ms": statistics.median(self.latencies_ms),
            "p95_ms": percentile(self.latencies_ms, 95),
            "cpu_ms_per_request": 1000 * self.cpu_seconds / self.requests,
            "requests_per_s": wrk_requests / wrk_seconds,
            "p95_ms_at_10": statistics.median(w["p95_us"] / 1000 for w in self.wrk),
            "rss_mib": max(self.rss_mib),
            "failures": self.failures + sum(w["status_errors"] for w in self.wrk),
        }


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, round(p / 100 * len(ordered) + 0.5) - 1)]


def one_by_one(endpoint: Endpoint, count: int, figures: Figures, round_no: int) -> None:
    """`count` requests one after another on one keep-alive connection, each timed."""
    connection = http.client.HTTPConnection("127.0.0.1", endpoint.server.port, timeout=120)
    if endpoint.kind == "cell save":
        # The cells of the last service areas: the load rounds use the first ones.
        cells = endpoint.cells[-count:]
        assert endpoint.versions is not None
        versions = endpoint.versions([cell_id for cell_id, _ in cells])
    for i in range(count):
        if endpoint.kind == "grid page":
            method, path, body, headers = "GET", endpoint.path, None, endpoint.headers
        else:
            cell_id, text = cells[i % len(cells)]
            method, path = "POST", endpoint.path.format(cell=cell_id)
            body = save_body(endpoint, cell_id, text, versions[cell_id], round_no * count + i)
            headers = {
                **endpoint.headers,
                "Content-Type": "application/x-www-form-urlencoded",
                "HX-Target": f"cell-{cell_id}",
            }
        started = time.perf_counter()
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        html = answer.read()
        figures.latencies_ms.append(1000 * (time.perf_counter() - started))
        if answer.status != 200:
            figures.failures += 1
        figures.statuses[str(answer.status)] = figures.statuses.get(str(answer.status), 0) + 1
        if endpoint.kind == "cell save":
            found = re.search(rb'data-version="(\d+)"', html)
            if found:
                versions[cell_id] = int(found.group(1))
    connection.close()


WRK_SCRIPT = """
-- Generated by bench/side_by_side.py.
local cells = {CELLS}
local prefix = "{PREFIX}"
local is_save = {IS_SAVE}
local threads = {}
local counter = 0
statuses = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("slot", #threads)
end

function init(args)
  if is_save then
    cell = cells[slot]
  end
end

function request()
  if not is_save then
    return wrk.format("GET")
  end
  counter = counter + 1
  -- A fresh save key for every save, as every drawn form has one.
  local key = string.format("%s-%d-%d", prefix, slot, counter)
  local body = cell.form .. "&version=" .. cell.version .. "&save_key=" .. key ..
    "&text=" .. cell.text .. "+%28load+" .. counter .. "%29"
  -- wrk.format takes these headers instead of wrk.headers (the -H ones), so copy those in.
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  headers["HX-Target"] = "cell-" .. cell.id
  return wrk.format("POST", cell.path, headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if is_save then
    local version = string.match(body, 'data%-version="(%d+)"')
    if version then cell.version = tonumber(version) end
  end
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(counts) do
    table.insert(parts, string.format('"%d": %d', status, count))
  end
  io.write('BENCH_STATUSES {' .. table.concat(parts, ", ") .. '}\\n')
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "status_errors": %d, ' ..
    '"socket_errors": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def lua_string(value: str) -> str:
    """A Lua string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def under_load(
    endpoint: Endpoint, clients: int, seconds: int, folder: Path, figures: Figures
) -> int:
    """Run wrk with `clients` connections (one thread each); the requests it completed."""
    is_save = endpoint.kind == "cell save"
    lua_cells = "{}"
    if is_save:
        cells = endpoint.cells[:clients]
        assert endpoint.versions is not None
        versions = endpoint.versions([cell_id for cell_id, _ in cells])
        form = urllib.parse.urlencode(endpoint.form)
        lua_cells = (
            "{"
            + ", ".join(
                f"{{id = {cell_id}, version = {versions[cell_id]}, "
                f"path = {lua_string(endpoint.path.format(cell=cell_id))}, "
                f"form = {lua_string(form)}, "
                f"text = {lua_string(urllib.parse.quote_plus(text))}}}"
                for cell_id, text in cells
            )
            + "}"
        )
    script = folder / f"wrk-{endpoint.server.name}-{'save' if is_save else 'grid'}.lua"
    script.write_text(
        WRK_SCRIPT.replace("{CELLS}", lua_cells)
        .replace("{PREFIX}", secrets.token_urlsafe(12))
        .replace("{IS_SAVE}", "true" if is_save else "false")
    )
    command = ["wrk", f"-t{clients}", f"-c{clients}", f"-d{seconds}s", "--timeout", "60s"]
    for name, value in endpoint.headers.items():
        command += ["-H", f"{name}: {value}"]
    command += ["-s", str(script), f"http://127.0.0.1:{endpoint.server.port}{endpoint.path}"]
    ran = subprocess.run(command, capture_output=True, text=True)
    if ran.returncode != 0 or "BENCH_JSON " not in ran.stdout:
        raise SystemExit(f"wrk failed:\n{ran.stdout}\n{ran.stderr}")
    printed = ran.stdout
    (line,) = [line for line in printed.splitlines() if line.startswith("BENCH_JSON ")]
    result = json.loads(line.removeprefix("BENCH_JSON "))
    (line,) = [line for line in printed.splitlines() if line.startswith("BENCH_STATUSES ")]
    result["statuses"] = json.loads(line.removeprefix("BENCH_STATUSES "))
    for status, count in result["statuses"].items():
        figures.statuses[status] = figures.statuses.get(status, 0) + count
    figures.wrk.append(result)
    return int(result["requests"])


def measure_round(
    endpoint: Endpoint, args: argparse.Namespace, folder: Path, figures: Figures, round_no: int
) -> None:
    """One round on one endpoint: requests one at a time, then under load; CPU over both."""
    server = endpoint.server
    before = server.cpu_seconds()
    one_by_one(endpoint, args.requests, figures, round_no)
    served = args.requests + under_load(endpoint, args.clients, args.seconds, folder, figures)
    figures.cpu_seconds += server.cpu_seconds() - before
    figures.requests += served
    figures.rss_mib.append(server.rss_mib())


# --- A whole run --------------------------------------------------------------------------


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


def commit() -> str:
    """The commit measured (with "+changes" when the worktree differs from it)."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return head + ("+changes" if dirty else "")


def run_size(areas: int, columns: int, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """Build, serve and measure one grid size; its figures."""
    started = time.perf_counter()
    built = build(folder, areas, columns, args.seed)
    print(f"  built {areas} × {columns} in {time.perf_counter() - started:.1f}s", flush=True)

    app_cmd = make_run_command(free_port())
    bare_cmd = bare_command(make_run_command(free_port()))
    env = clean_env()
    app = Server(
        "app",
        app_cmd,
        {
            **env,
            "DATABASE_URL": f"sqlite:///{built.app_database}",
            "SECRET_KEY": "bench-side-by-side",
            # The client speaks plain http to 127.0.0.1, which gets no Secure cookie.
            "SESSION_COOKIE_SECURE": "false",
            "PORT": str(port_of(app_cmd)),
        },
    )
    bare = Server("bare", bare_cmd, {**env, "BARE_DATABASE": str(built.bare_database)})
    try:
        for server in (app, bare):
            server.wait_until_ready()
        cookie, _ = sign_in(app)
        form = edit_form(app, cookie, built.cells[0][0])
        form = {"csrf_token": form["csrf_token"], "summary": ""}
        app_headers = {"Cookie": cookie}
        hx = {"HX-Request": "true", "HX-Current-URL": f"http://127.0.0.1:{app.port}/"}
        endpoints = {
            ("app", "grid page"): Endpoint(app, "grid page", f"/grids/{built.slug}", app_headers),
            ("app", "cell save"): Endpoint(
                app,
                "cell save",
                "/cells/{cell}",
                {**app_headers, **hx, "X-CSRFToken": form["csrf_token"]},
                form=form,
                cells=built.cells,
                versions=versions_in(built.app_database),
            ),
            ("bare", "grid page"): Endpoint(bare, "grid page", "/grid", {}),
            ("bare", "cell save"): Endpoint(
                bare,
                "cell save",
                "/cells/{cell}",
                {},
                cells=built.cells,
                versions=versions_in(built.bare_database),
            ),
        }
        figures = {key: Figures() for key in endpoints}
        warm = Figures()
        for endpoint in endpoints.values():
            one_by_one(endpoint, 3, warm, 999)
        if warm.failures:
            raise SystemExit(f"{warm.failures} warm-up requests failed: {warm.statuses}.")
        load = [load_average()]
        for round_no in range(args.rounds):
            order = ("app", "bare") if round_no % 2 == 0 else ("bare", "app")
            for name in order:
                for kind in ("grid page", "cell save"):
                    measure_round(
                        endpoints[(name, kind)], args, folder, figures[(name, kind)], round_no
                    )
            load.append(load_average())
            print(f"  round {round_no + 1}/{args.rounds} done, load {load[-1]}", flush=True)
    finally:
        app.stop()
        bare.stop()
    summaries = {f"{name} {kind}": figures[(name, kind)].summary() for name, kind in figures}
    return {
        "areas": areas,
        "columns": columns,
        "cells": areas * columns,
        "app_command": app_cmd,
        "bare_command": bare_cmd,
        "load_average": load,
        "summary": summaries,
        "samples": {
            f"{name} {kind}": {
                "latencies_ms": figures[(name, kind)].latencies_ms,
                "cpu_seconds": figures[(name, kind)].cpu_seconds,
                "requests": figures[(name, kind)].requests,
                "wrk": figures[(name, kind)].wrk,
                "rss_mib": figures[(name, kind)].rss_mib,
                "statuses": figures[(name, kind)].statuses,
            }
            for name, kind in figures
        },
    }


ROWS = [
    ("median latency, 1 client (ms)", "median_ms", "{:.1f}"),
    ("p95 latency, 1 client (ms)", "p95_ms", "{:.1f}"),
    ("server CPU per request (ms)", "cpu_ms_per_request", "{:.1f}"),
    ("requests/s at 10 clients", "requests_per_s", "{:.1f}"),
    ("p95 latency at 10 clients (ms)", "p95_ms_at_10", "{:.0f}"),
    ("server RSS, all processes (MiB)", "rss_mib", "{:.0f}"),
    ("failed requests", "failures", "{:.0f}"),
]


def table(result: dict[str, Any]) -> str:
    """The figures of one size as a Markdown table, with this app's ratio to the bare app."""
    summary = result["summary"]
    lines = [
        f"### {result['areas']} service areas × {result['columns']} columns "
        f"({result['cells']} cells); load average {result['load_average'][0][0]} → "
        f"{result['load_average'][-1][0]}",
        "",
        "| endpoint | measure | bare Flask | this app | ratio |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for kind in ("grid page", "cell save"):
        bare, app = summary[f"bare {kind}"], summary[f"app {kind}"]
        for label, key, fmt in ROWS:
            ratio = f"{app[key] / bare[key]:.2g}×" if bare[key] and key != "failures" else ""
            lines.append(
                f"| {kind} | {label} | {fmt.format(bare[key])} | {fmt.format(app[key])} | {ratio} |"
            )
    for key, samples in result["samples"].items():
        odd = {status: n for status, n in samples["statuses"].items() if status != "200"}
        if odd:
            lines.append(f"\n{key}: answers other than 200: {odd}")
    return "\n".join(lines)


def start_record(args: argparse.Namespace, **machine: Any) -> dict[str, Any]:
    """What a run writes to its JSON file, begun: when, at which commit, on what machine
    (with ``machine``'s extra facts), with which settings."""
    OUT.mkdir(exist_ok=True)
    return {
        "taken_at": datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
        "commit": commit(),
        "machine": {
            "cores": os.cpu_count(),
            "load_average_at_start": load_average(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            **machine,
        },
        "settings": vars(args),
    }


def finish_record(output: dict[str, Any], name: str, tables: list[str]) -> None:
    """End a run: note the load, print its tables, and write ``output`` to
    bench/out/<name>-<time>.json."""
    output["machine"]["load_average_at_end"] = load_average()
    print()
    for shown in tables:
        print(shown)
        print()
    path = OUT / f"{name}-{output['taken_at']}.json"
    path.write_text(json.dumps(output, indent=2))
    machine = output["machine"]
    print(
        f"{machine['cores']} cores; load average {machine['load_average_at_start']} at the start, "
        f"{machine['load_average_at_end']} at the end"
    )
    print(f"Wrote {path.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="50x4,100x8",
        help="grid sizes, service areas x long-text columns, comma-separated (default 50x4,100x8)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds per server (default 3)")
    parser.add_argument(
        "--requests", type=int, default=20, help="requests one at a time per round (default 20)"
    )
    parser.add_argument("--seconds", type=int, default=10, help="wrk time per round (default 10)")
    parser.add_argument("--clients", type=int, default=10, help="wrk connections (default 10)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit(WRK_INSTALL)
    sizes = [tuple(int(n) for n in size.lower().split("x")) for size in args.sizes.split(",")]

    output = start_record(args)
    output["sizes"] = []
    print(f"Side by side at {output['commit']}, {os.cpu_count()} cores, load {load_average()}")
    with tempfile.TemporaryDirectory(prefix="side-by-side-", dir=OUT) as scratch:
        for areas, columns in sizes:
            print(f"{areas} service areas × {columns} columns", flush=True)
            output["sizes"].append(run_size(areas, columns, args, Path(scratch)))
    finish_record(output, "side-by-side", [table(result) for result in output["sizes"]])


if __name__ == "__main__":
    main()

"""NocoDB serving the same grid data: requests/s and server CPU per request.

    .venv/bin/python bench/nocodb.py                            # NocoDB alone, 50 × 4
    .venv/bin/python bench/nocodb.py --with-app                 # and this app, same rounds
    .venv/bin/python bench/nocodb.py --rounds 1 --seconds 5     # a quick look

NocoDB, the self-hosted Airtable-like app, is what a council might set up instead of this
app: a table with a row per service area and a long-text column per heading. This script
serves the grid's data from NocoDB on this machine and measures it as side_by_side.py
measures this app, so the two can be set side by side (requests/s at 10 concurrent clients
and server CPU per request).

Step by step, it:

1. installs NocoDB 0.301.3 from the npm registry into bench/out/nocodb/, unless it is there
   already (see `install` for the three things the plain `npm install` trips over here);
2. starts it as its Docker image does (`Noco.init` mounted on an express app), listening on
   a free port of 127.0.0.1, with a new SQLite file as its metadata and data store, and its
   telemetry and error reports turned off;
3. signs up the first user (a super user) through the REST API, then creates a base and a
   table: "Service area" (the display column) and long-text columns named as
   side_by_side.py names them, one row per service area, holding the same Markdown texts
   (`build_large.make_text` with the same seed, drawn in the same order as side_by_side.py's
   build draws them);
4. measures the request that NocoDB's grid view makes to list the rows when a person opens
   the table: `GET /api/v1/db/data/noco/<base>/<table>/views/<view>?offset=0&limit=100&...`
   with the signed-in person's `xc-auth` token, as the canvas grid of NocoDB's own web app
   (nc-lib-gui 0.301.3, `loadData` of its infinite-scroll grid) sends it for its first load:
   one page of up to 100 rows, so all 50 service areas.

Each of `--rounds` rounds sends `--requests` requests one at a time (median and p95 latency),
then runs `wrk` for `--seconds` with `--clients` connections (requests/s, and p95 through
the Lua `done()` hook); the code for both is side_by_side.py's. Server CPU per request is
the NocoDB node process's own CPU time (utime + stime in /proc/<pid>/stat, all its threads,
and any child processes) over the round, divided by the requests it served; RSS is the
resident memory of those processes. With `--with-app`, the same rounds also measure this
app's grid page, served and signed in to exactly as side_by_side.py does it, alternating
which server goes first; the table then shows NocoDB's figures as a ratio to this app's.

What the numbers compare: this app's grid page is HTML that the server renders for every
cell (Markdown included); NocoDB answers JSON and its web app, in the browser, renders the
cells, so its request leaves part of the work to the client. Opening a table in NocoDB also
makes other requests (the table's and view's metadata, a row count), which are not counted;
nor are this app's static files.

Prints a Markdown table and writes every figure to bench/out/nocodb-<time>.json, with the
machine's cores and load average. Needs Node.js and npm, and `wrk`
(`apt-get install -y wrk`).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import side_by_side  # noqa: E402  (bench/ is this script's folder)
from build_large import area_names, make_text  # noqa: E402
from side_by_side import (  # noqa: E402
    AUTHORS,
    OUT,
    ROOT,
    ROWS,
    WRK_INSTALL,
    Endpoint,
    Figures,
    Server,
    column_names,
    free_port,
    load_average,
    measure_round,
    one_by_one,
)

NOCODB_VERSION = "0.301.3"
NOCODB_DIR = OUT / "nocodb"
# nocodb 0.301.3 asks for xlsx from the SheetJS CDN, which is not a package registry; 0.18.5
# is the last xlsx on the npm registry. NocoDB uses it to import and export spreadsheets,
# which the grid does not need.
XLSX_FROM_REGISTRY = "0.18.5"
# Packages with native code whose install scripts are run after `npm install
# --ignore-scripts` (see `install`). sqlite3 is the one NocoDB cannot start without.
NATIVE_PACKAGES = ["sqlite3", "sharp", "msgpackr-extract", "lz4"]
EMAIL = "bench.owner@example.org"
PASSWORD = "Nocodb-bench-2026!"
TITLE_COLUMN = "Service area"
GRID_VIEW = 3  # NocoDB's view type for a grid view
# The grid's first load: nc-lib-gui's canvas grid fetches its first two chunks of 50 rows
# in one request (offset 0, limit 100); chunks further down are fetched as one scrolls.
FIRST_LOAD_ROWS = 100
# NocoDB's start-up file, written into bench/out/nocodb/: what its Docker image runs
# (packages/nocodb/docker/main.js in NocoDB's repository), listening on 127.0.0.1 only.
SERVE_JS = """\
// Written by bench/nocodb.py: NocoDB's server, started as its Docker image starts it.
const express = require('express');
const { Noco } = require('nocodb');

const server = express();
server.enable('trust proxy');
server.set('view engine', 'ejs');

(async () => {
  const httpServer = server.listen(Number(process.env.PORT), '127.0.0.1');
  server.use(await Noco.init({}, httpServer, server));
  console.log('NocoDB is ready');
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
"""


# --- Installing NocoDB --------------------------------------------------------------------


def installed_version() -> str | None:
    """The version of NocoDB installed in bench/out/nocodb/, if any."""
    try:
        manifest = NOCODB_DIR / "node_modules" / "nocodb" / "package.json"
        return str(json.loads(manifest.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def node_headers(node: str) -> Path | None:
    """The folder whose include/node holds the running Node's headers, if it has them."""
    found = shutil.which(node)
    if found is None:
        return None
    prefix = Path(found).resolve().parent.parent
    return prefix if (prefix / "include" / "node" / "node.h").exists() else None


def install(node: str) -> dict[str, Any]:
    """Install NocoDB with npm into bench/out/nocodb/ unless that version is there already.

    A plain `npm install nocodb@0.301.3` fails here in three ways, each handled below:
    its xlsx comes from a CDN rather than the registry (overridden with the registry's);
    nocodb-sdk's preinstall script insists on pnpm (so scripts are skipped, and only the
    native packages' install scripts are run afterwards, with `npm rebuild`); and the native
    packages would fetch prebuilt binaries or Node's headers from outside the registry
    (sqlite3 is compiled against the local Node's headers instead)."""
    binding = NOCODB_DIR / "node_modules" / "sqlite3" / "build" / "Release" / "node_sqlite3.node"
    if installed_version() == NOCODB_VERSION and binding.exists():
        return {"installed_now": False, "size_mib": folder_mib(NOCODB_DIR / "node_modules")}
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed to install NocoDB (Debian: install nodejs).")
    print(f"Installing NocoDB {NOCODB_VERSION} into {NOCODB_DIR.relative_to(ROOT)}", flush=True)
    NOCODB_DIR.mkdir(parents=True, exist_ok=True)
    package = {"name": "nocodb-bench", "private": True, "overrides": {"xlsx": XLSX_FROM_REGISTRY}}
    (NOCODB_DIR / "package.json").write_text(json.dumps(package, indent=2) + "\n")
    env = dict(os.environ)
    headers = node_headers(node)
    if headers is not None:
        env["npm_config_nodedir"] = str(headers)
    spec = f"nocodb@{NOCODB_VERSION}"
    started = time.perf_counter()
    subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--save-exact", "--ignore-scripts", spec],
        cwd=NOCODB_DIR,
        env=env,
        check=True,
    )
    installed = time.perf_counter() - started
    subprocess.run([npm, "rebuild", *NATIVE_PACKAGES], cwd=NOCODB_DIR, env=env, check=True)
    if installed_version() != NOCODB_VERSION or not binding.exists():
        raise SystemExit(f"NocoDB {NOCODB_VERSION} did not install in {NOCODB_DIR}.")
    return {
        "installed_now": True,
        "install_seconds": round(installed, 1),
        "rebuild_seconds": round(time.perf_counter() - started - installed, 1),
        "size_mib": folder_mib(NOCODB_DIR / "node_modules"),
    }


def folder_mib(folder: Path) -> float:
    """Disk space a folder takes (du), in MiB."""
    used = subprocess.run(["du", "-sk", str(folder)], capture_output=True, text=True, check=True)
    return round(int(used.stdout.split()[0]) / 1024, 1)


def node_version(node: str) -> str:
    """`node --version`."""
    return subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()


# --- Serving ------------------------------------------------------------------------------


class NocoDB(Server):
    """NocoDB's node process, with side_by_side.Server's CPU time, memory and stop."""

    def __init__(self, node: str, folder: Path) -> None:
        self.name = "nocodb"
        self.port = free_port()
        script = NOCODB_DIR / "serve.js"
        script.write_text(SERVE_JS)
        self.command = [node, str(script)]
        self.env = {
            "PORT": str(self.port),
            # Metadata and the base's own tables in one new SQLite file.
            "NC_DB": f"sqlite3://?q=sqlite3&d={folder / 'nocodb.sqlite'}",
            "NC_AUTH_JWT_SECRET": f"bench-{os.getpid()}-{time.time_ns()}",
            "NC_PUBLIC_URL": f"http://127.0.0.1:{self.port}",
            "NC_TOOL_DIR": str(folder),  # where NocoDB keeps uploads and other files
            "NODE_ENV": "production",  # as in NocoDB's Docker image
            # Nothing leaves the machine: no telemetry, no error reports.
            "NC_DISABLE_TELE": "true",
            "NC_DISABLE_ERR_REPORTS": "true",
        }
        self.log_path = folder / "nocodb.log"
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command,
            cwd=folder,
            env={**side_by_side.clean_env(), **self.env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.cookie = ""

    def wait_until_ready(self) -> None:
        """Wait until /api/v1/health answers 200: express listens at once, but NocoDB's
        routes are mounted only once it has migrated its database."""
        deadline = time.monotonic() + 300
        while True:
            try:
                url = f"http://127.0.0.1:{self.port}/api/v1/health"
                with urllib.request.urlopen(url, timeout=5) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise SystemExit(f"NocoDB did not start:\n{self.log_tail()}")
            time.sleep(0.5)

    def log_tail(self) -> str:
        """The end of NocoDB's log."""
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        """Stop node (SIGTERM, then SIGKILL after 30 s) and close its log."""
        if self.process.poll() is None:
            super().stop()
        self.log.close()

    def pids(self) -> list[int]:
        """The node process and its descendants."""
        children: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        found, queue = [], [self.process.pid]
        while queue:
            pid = queue.pop()
            found.append(pid)
            queue += children.get(pid, [])
        return found


# --- Setting up the table through NocoDB's REST API ----------------------------------------


def call(port: int, method: str, path: str, token: str | None = None, body: Any = None) -> Any:
    """One JSON request to NocoDB's REST API; its answer."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["xc-auth"] = token
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers=headers,
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return json.load(answer)
    except urllib.error.HTTPError as error:
        raise SystemExit(
            f"NocoDB answered {error.code} to {method} {path}: {error.read().decode()[:2000]}"
        ) from error


def grid_rows(areas: int, columns: int, seed: int) -> list[dict[str, str]]:
    """One row per service area, with the texts side_by_side.py's build saves: for each cell,
    service area by service area and column by column, it draws an author, then a text."""
    rng = random.Random(seed)
    names = column_names(columns)
    rows = []
    for area in area_names(areas):
        row = {TITLE_COLUMN: area}
        for name in names:
            rng.choice(AUTHORS)  # the cell's author in side_by_side.py (NocoDB has one user)
            row[name] = make_text(rng)
        rows.append(row)
    return rows


@dataclass
class Table:
    """Where the grid's data is in NocoDB, and the token to read it with."""

    token: str
    base_id: str
    table_id: str
    view_id: str


def set_up(port: int, rows: list[dict[str, str]], columns: int) -> Table:
    """Sign up the first user and create the base, the table and its rows."""
    token = call(
        port, "POST", "/api/v1/auth/user/signup", body={"email": EMAIL, "password": PASSWORD}
    )["token"]
    base = call(port, "POST", "/api/v2/meta/bases", token, {"title": "Supporting People"})
    fields = [
        {"column_name": "service_area", "title": TITLE_COLUMN, "uidt": "SingleLineText", "pv": True}
    ]
    fields += [
        {"column_name": f"text_{i}", "title": name, "uidt": "LongText"}
        for i, name in enumerate(column_names(columns), start=1)
    ]
    table = call(
        port,
        "POST",
        f"/api/v2/meta/bases/{base['id']}/tables",
        token,
        {"table_name": "grid", "title": "Grid", "columns": fields},
    )
    views = call(port, "GET", f"/api/v2/meta/tables/{table['id']}/views", token)["list"]
    (view,) = [v for v in views if v["type"] == GRID_VIEW]
    for start in range(0, len(rows), 100):
        call(
            port, "POST", f"/api/v2/tables/{table['id']}/records", token, rows[start : start + 100]
        )
    return Table(token, base["id"], table["id"], view["id"])


def grid_request(table: Table, areas: int) -> tuple[str, dict[str, str]]:
    """The path and headers of the grid view's first load, as nc-lib-gui sends them: its
    `dbViewRow.list` call with the signed-in person's token. The sorts and filters the
    person may save on the view go with the view (`sortSync`, `filterSync`), so only the
    (empty) list of filters added on the page goes in the query."""
    query = {
        "offset": "0",
        "limit": str(max(FIRST_LOAD_ROWS, areas)),
        "filterArrJson": "[]",
        "includeSortAndFilterColumns": "true",
        "include_row_color": "true",
        "include_button_filter_columns": "true",
    }
    path = (
        f"/api/v1/db/data/noco/{table.base_id}/{table.table_id}/views/{table.view_id}?"
        + urllib.parse.urlencode(query)
    )
    return path, {"xc-auth": table.token, "xc-gui": "true"}


def fetch(port: int, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """One GET; its status and body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request("GET", path, headers=headers)
    answer = connection.getresponse()
    body = answer.read()
    connection.close()
    return answer.status, body


def check_answer(body: bytes, rows: list[dict[str, str]]) -> None:
    """The grid request lists every row with every text as it was saved."""
    listed = json.loads(body)["list"]
    by_area = {row[TITLE_COLUMN]: row for row in listed}
    wrong = [
        row[TITLE_COLUMN]
        for row in rows
        if any(by_area.get(row[TITLE_COLUMN], {}).get(name) != text for name, text in row.items())
    ]
    if len(listed) != len(rows) or wrong:
        raise SystemExit(f"NocoDB listed {len(listed)} rows; rows that differ: {wrong[:5]}.")


# --- This app, as side_by_side.py serves it (with --with-app) -------------------------------


def start_app(folder: Path, areas: int, columns: int, seed: int) -> tuple[Server, str, list[str]]:
    """Build this app's database and serve it as side_by_side.py does; the server, the grid's
    slug, and the texts of its cells in page order."""
    built = side_by_side.build(folder, areas, columns, seed)
    command = side_by_side.make_run_command(free_port())
    app = Server(
        "app",
        command,
        {
            **side_by_side.clean_env(),
            "DATABASE_URL": f"sqlite:///{built.app_database}",
            "SECRET_KEY": "bench-nocodb",
            # The client speaks plain http to 127.0.0.1, which gets no Secure cookie.
            "SESSION_COOKIE_SECURE": "false",
            "PORT": str(side_by_side.port_of(command)),
        },
    )
    return app, built.slug, [text for _, text in built.cells]


# --- A whole run --------------------------------------------------------------------------


def run(args: argparse.Namespace, folder: Path, output: dict[str, Any]) -> dict[str, Any]:
    """Serve NocoDB (and this app with --with-app), measure; the figures."""
    areas, columns = args.areas, args.columns
    rows = grid_rows(areas, columns, args.seed)
    servers: list[Server] = []
    try:
        nocodb_started = time.perf_counter()
        nocodb = NocoDB(args.node, folder)
        servers.append(nocodb)
        output["nocodb"]["command"] = nocodb.command
        output["nocodb"]["env"] = nocodb.env | {"NC_AUTH_JWT_SECRET": "(random)"}
        if args.with_app:
            started = time.perf_counter()
            app, slug, texts = start_app(folder, areas, columns, args.seed)
            servers.append(app)
            print(f"  built this app's grid in {time.perf_counter() - started:.1f}s", flush=True)
            output["app_command"] = app.command
            ours = [text for row in rows for name, text in row.items() if name != TITLE_COLUMN]
            if ours != texts:
                raise SystemExit("The texts given to NocoDB are not the ones this app's grid has.")
        nocodb.wait_until_ready()
        print(f"  NocoDB started in {time.perf_counter() - nocodb_started:.1f}s", flush=True)
        started = time.perf_counter()
        table = set_up(nocodb.port, rows, columns)
        print(f"  table of {areas} rows created in {time.perf_counter() - started:.1f}s")
        path, headers = grid_request(table, areas)
        status, body = fetch(nocodb.port, path, headers)
        if status != 200:
            raise SystemExit(f"NocoDB answered {status} to the grid request: {body[:2000]!r}")
        check_answer(body, rows)
        endpoints = {"nocodb": Endpoint(nocodb, "grid page", path, headers)}
        sizes = {"nocodb": len(body)}
        if args.with_app:
            app.wait_until_ready()
            cookie, _ = side_by_side.sign_in(app)
            endpoints["app"] = Endpoint(app, "grid page", f"/grids/{slug}", {"Cookie": cookie})
            status, body = fetch(app.port, endpoints["app"].path, endpoints["app"].headers)
            if status != 200:
                raise SystemExit(f"This app answered {status} to its grid page.")
            sizes["app"] = len(body)

        # Untimed warm-up: V8 compiles NocoDB's hot paths as requests come in.
        warm = Figures()
        for endpoint in endpoints.values():
            one_by_one(endpoint, args.requests, warm, 999)
        if warm.failures:
            raise SystemExit(f"{warm.failures} warm-up requests failed: {warm.statuses}.")
        figures = {name: Figures() for name in endpoints}
        load = [load_average()]
        for round_no in range(args.rounds):
            order = list(endpoints) if round_no % 2 == 0 else list(reversed(endpoints))
            for name in order:
                measure_round(endpoints[name], args, folder, figures[name], round_no)
            load.append(load_average())
            print(f"  round {round_no + 1}/{args.rounds} done, load {load[-1]}", flush=True)
    finally:
        for server in servers:
            server.stop()
    return {
        "areas": areas,
        "columns": columns,
        "cells": areas * columns,
        "grid_request": {
            name: {"path": e.path, "headers": sorted(e.headers)} for name, e in endpoints.items()
        },
        "answer_bytes": sizes,
        "load_average": load,
        "summary": {name: f.summary() for name, f in figures.items()},
        "samples": {
            name: {
                "latencies_ms": f.latencies_ms,
                "cpu_seconds": f.cpu_seconds,
                "requests": f.requests,
                "wrk": f.wrk,
                "rss_mib": f.rss_mib,
                "statuses": f.statuses,
            }
            for name, f in figures.items()
        },
    }


def table(result: dict[str, Any]) -> str:
    """The figures as a Markdown table; with this app's, NocoDB's ratio to them."""
    summary = result["summary"]
    both = "app" in summary
    lines = [
        f"### NocoDB {NOCODB_VERSION}: the grid's rows, {result['areas']} service areas × "
        f"{result['columns']} columns ({result['cells']} cells); load average "
        f"{result['load_average'][0][0]} → {result['load_average'][-1][0]}",
        "",
        "| measure | NocoDB | this app | NocoDB ÷ this app |" if both else "| measure | NocoDB |",
        "| --- | ---: | ---: | ---: |" if both else "| --- | ---: |",
    ]
    for label, key, fmt in ROWS:
        noco = fmt.format(summary["nocodb"][key])
        if not both:
            lines.append(f"| {label} | {noco} |")
            continue
        app = summary["app"][key]
        ratio = f"{summary['nocodb'][key] / app:.2g}×" if app and key != "failures" else ""
        lines.append(f"| {label} | {noco} | {fmt.format(app)} | {ratio} |")
    sizes = result["answer_bytes"]
    if both:
        lines.append(
            f"| answer size (kB) | {sizes['nocodb'] / 1000:.1f} (JSON) | "
            f"{sizes['app'] / 1000:.1f} (HTML) | |"
        )
    else:
        lines.append(f"| answer size (kB) | {sizes['nocodb'] / 1000:.1f} (JSON) |")
    for name, samples in result["samples"].items():
        odd = {status: n for status, n in samples["statuses"].items() if status != "200"}
        if odd:
            lines.append(f"\n{name}: answers other than 200: {odd}")
    return "\n".join(lines)


def main() -> None:
    paragraphs = __doc__.split("\n\n")
    parser = argparse.ArgumentParser(
        # The title and the paragraph on what is measured and why.
        description=f"{paragraphs[0]}\n\n{paragraphs[2]}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="NocoDB is installed once into bench/out/nocodb/ (about 1.4 GB of node_modules).",
    )
    parser.add_argument(
        "--size",
        default="50x4",
        help="grid size, service areas x long-text columns (default 50x4, 200 cells)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    parser.add_argument(
        "--requests", type=int, default=20, help="requests one at a time per round (default 20)"
    )
    parser.add_argument("--seconds", type=int, default=10, help="wrk time per round (default 10)")
    parser.add_argument("--clients", type=int, default=10, help="wrk connections (default 10)")
    parser.add_argument("--seed", type=int, default=2026, help="texts' seed (default 2026)")
    parser.add_argument(
        "--with-app",
        action="store_true",
        help="also serve this app's grid page (as side_by_side.py does) in the same rounds",
    )
    parser.add_argument("--node", default="node", help="the Node.js to run NocoDB with")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit(WRK_INSTALL)
    if shutil.which(args.node) is None:
        raise SystemExit(f"{args.node} not found: NocoDB needs Node.js.")
    args.areas, args.columns = (int(n) for n in args.size.lower().split("x"))

    installed = install(args.node)
    node = node_version(args.node)
    major = node.lstrip("v").split(".")[0]
    if not major.isdigit() or int(major) < 22:
        print(f"Note: NocoDB {NOCODB_VERSION} asks for Node 22 or later; running on Node {node}.")
    output = side_by_side.start_record(args, node=node)
    output["nocodb"] = {"version": NOCODB_VERSION, **installed}
    print(
        f"NocoDB {NOCODB_VERSION} on Node {node}, {args.areas} service areas × {args.columns} "
        f"columns, at {output['commit']}, {os.cpu_count()} cores, load {load_average()}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="run-", dir=NOCODB_DIR) as scratch:
        output["result"] = run(args, Path(scratch), output)
    side_by_side.finish_record(output, "nocodb", [table(output["result"])])


if __name__ == "__main__":
    main()

# The two commands: `make run` (set up and serve the demo) and `make test` (the whole suite).
# `make bench` runs the benchmarks in bench/ (not part of `make test` or CI).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app grid_app
PORT   ?= 5000
# Links in emails follow the port served on unless BASE_URL says otherwise.
export PORT
# One process with threads: without REDIS_URL sign-in limits live in the process's memory
# (gunicorn.conf.py refuses several workers then). With REDIS_URL, WORKERS may be raised.
WORKERS ?= 1
THREADS ?= 8
# Two test processes by default (one per core here); each has its own databases.
PYTEST_ARGS ?= -n 2

# `make bench` sizes: small enough for a few minutes on 2 cores. The README's "Speed" figures
# are full size: BENCH_REVISIONS=1000000 BENCH_BIG_CELL=10000 BENCH_CHANGES=2000
# BENCH_FLAGS=20000 BENCH_COMMENTS=100000 BENCH_DISCUSSION_FLAGS=20000 BENCH_RUNS=50.
# Both databases are rebuilt from scratch; either may be PostgreSQL, e.g.
# BENCH_DB=postgresql+psycopg://postgres@127.0.0.1:5432/grid_bench. BENCH_LIGHTHOUSE=0
# leaves out Lighthouse, which needs Node 20+, npm and Debian's chromium.
BENCH_DB               ?= sqlite:///$(CURDIR)/bench/out/grid-bench.db
BENCH_SAFE_SPACE_DB    ?= sqlite:///$(CURDIR)/bench/out/grid-safe-space.db
BENCH_REVISIONS        ?= 100000
BENCH_BIG_CELL         ?= 2000
BENCH_CHANGES          ?= 200
BENCH_FLAGS            ?= 2000
BENCH_COMMENTS         ?= 10000
BENCH_DISCUSSION_FLAGS ?= 2000
BENCH_CONTRIBUTIONS    ?= 300
BENCH_CLOSED           ?= 20
BENCH_RUNS             ?= 20
BENCH_EXPORT_RUNS      ?= 3
BENCH_LIGHTHOUSE       ?= 1
# bench/side_by_side.py: grid sizes (service areas x columns) and rounds; it needs wrk
# (apt-get install -y wrk). BENCH_SIDE_BY_SIDE=0 leaves it out.
BENCH_SIDE_BY_SIDE     ?= 1
BENCH_SIDE_SIZES       ?= 50x4,100x8
BENCH_SIDE_ROUNDS      ?= 3

.PHONY: run test setup dev lint typecheck check clean bench

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

# Demo people have a published password: they are loaded only in development or a demo, and
# into a database named by DATABASE_URL only when APP_ENV=demo (seed-demo decides and says why).
setup: $(VENV)/.installed
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-allowed

# The scheduled seal of anonymous contributions runs as a thread of the web worker
# (gunicorn.conf.py), every SEAL_EVERY_SECONDS. The app is built for serving: without the
# migration machinery, which `make setup` has already used.
SEAL_EVERY_SECONDS ?= 60
run: setup
	@echo "Serving Supporting People Grid at http://127.0.0.1:$(PORT)"
	env SEAL_EVERY_SECONDS=$(SEAL_EVERY_SECONDS) $(BIN)/gunicorn --config gunicorn.conf.py \
		--no-control-socket --worker-class grid_app.serving.PollingThreadWorker \
		--workers $(WORKERS) --threads $(THREADS) --bind 127.0.0.1:$(PORT) \
		--access-logfile - 'grid_app:create_app(serving=True)'

dev: $(VENV)/.installed-dev

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check grid_app tests bench
	$(BIN)/ruff format --check grid_app tests bench

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

check: lint typecheck test

# Each step prints its own figures; bench/README.md says what they measure.
bench: $(VENV)/.installed
	@echo '== Building the history database (bench/build_large.py)'
	$(BIN)/python bench/build_large.py --database-url '$(BENCH_DB)' --fresh \
		--revisions $(BENCH_REVISIONS) --big-cell-revisions $(BENCH_BIG_CELL) \
		--changes $(BENCH_CHANGES) --flags $(BENCH_FLAGS)
	@echo '== Page times (bench/measure.py)'
	$(BIN)/python bench/measure.py --database-url '$(BENCH_DB)' --runs $(BENCH_RUNS)
	@echo '== Exports (bench/exchange.py)'
	$(BIN)/python bench/exchange.py --database-url '$(BENCH_DB)' --runs $(BENCH_EXPORT_RUNS)
	@echo '== Adding comments and gap flags (bench/add_discussion.py)'
	$(BIN)/python bench/add_discussion.py --database-url '$(BENCH_DB)' \
		--comments $(BENCH_COMMENTS) --flags $(BENCH_DISCUSSION_FLAGS)
	@echo '== The grid pages again, with those comments and gap flags (bench/measure.py)'
	$(BIN)/python bench/measure.py --database-url '$(BENCH_DB)' --runs $(BENCH_RUNS) --only grid
	@echo '== A large safe-space session (bench/safe_space.py)'
	$(BIN)/python bench/safe_space.py --database-url '$(BENCH_SAFE_SPACE_DB)' --fresh \
		--contributions $(BENCH_CONTRIBUTIONS) --closed $(BENCH_CLOSED) --runs $(BENCH_RUNS)
ifeq ($(BENCH_SIDE_BY_SIDE),1)
	@echo '== This app and a bare Flask app, served side by side (bench/side_by_side.py)'
	$(BIN)/python bench/side_by_side.py --sizes $(BENCH_SIDE_SIZES) --rounds $(BENCH_SIDE_ROUNDS)
endif
ifeq ($(BENCH_LIGHTHOUSE),1)
	@echo '== Lighthouse scores with the demo data (bench/lighthouse.sh)'
	VENV='$(VENV)' bash bench/lighthouse.sh
endif

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

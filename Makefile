# The two commands: `make run` (set up and serve the demo) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app grid_app
PORT   ?= 5000
WORKERS ?= 2
# Two test processes by default (one per core here); each has its own databases.
PYTEST_ARGS ?= -n 2

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

# Demo people have a published password: none outside development or a demo.
setup: $(VENV)/.installed
	$(FLASK) db upgrade
	@case "$(or $(APP_ENV),development)" in \
	  development|demo) $(FLASK) seed-demo ;; \
	  *) echo "APP_ENV=$(APP_ENV): no demo data loaded." ;; \
	esac

run: setup
	@echo "Serving Supporting People Grid at http://127.0.0.1:$(PORT)"
	$(BIN)/gunicorn --config gunicorn.conf.py --no-control-socket --workers $(WORKERS) \
		--bind 127.0.0.1:$(PORT) \
		--access-logfile - 'grid_app:create_app()'

dev: $(VENV)/.installed-dev

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check grid_app tests bench
	$(BIN)/ruff format --check grid_app tests bench

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

check: lint typecheck test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Developer commands. The two a newcomer needs: `docker compose up` (start) and `make test`.
PYTHON ?= python3
VENV := .venv
UV_VERSION := 0.13.9
PLATFORM := --python-version 3.11 --python-platform x86_64-unknown-linux-gnu --no-header --quiet

.PHONY: test test-unit lint dev dev-down bench lock screenshots clean

$(VENV)/installed: locks/dev.txt user_code/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet uv==$(UV_VERSION)
	$(VENV)/bin/uv pip install --quiet --python $(VENV)/bin/python -r locks/dev.txt
	$(VENV)/bin/uv pip install --quiet --python $(VENV)/bin/python --no-deps -e user_code
	touch $@

lint: $(VENV)/installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	cd user_code && ../$(VENV)/bin/mypy

# Everything: unit, integration (MySQL from the compose stack unless BOOKSHOP_TEST_MYSQL_ADMIN_URL
# is set), the compose stack end to end, and the browser tests. Two workers: the tests that share
# a stack stay on one worker (tests/conftest.py's WORKER_GROUPS, in its order), so that one
# stack's waits overlap the other's; the summary says how long each folder took.
test: lint
	$(VENV)/bin/python -m pytest -n 2 --no-loadscope-reorder

# The tests that need no Docker and no database server, on two workers: well under a minute, for a
# quick loop while editing.
test-unit: $(VENV)/installed
	$(VENV)/bin/python -m pytest -m unit -n 2

# For changing an asset: the code location on this machine with `dagster dev` (UI and daemon, runs
# in local processes, history in .dev/), reading the compose MySQL, which runs alone under a project
# of its own on an ephemeral loopback port, with a reader's password generated on its first start.
# `make dev-down` stops that MySQL (its data is kept).
DEV_COMPOSE := docker compose --project-name bookshop-dev -f docker-compose.yml -f compose.dev.yml
DEV_UI_PORT ?= 3030
DEV_READER_USER := bookshop_reader

dev: $(VENV)/installed
	MYSQL_READER_USER=$(DEV_READER_USER) $(DEV_COMPOSE) up --detach --wait mysql
	mkdir -p .dev/dagster_home .dev/data/storage .dev/data/exports .dev/data/incoming
	BOOKSHOP_MYSQL_HOST=127.0.0.1 \
	BOOKSHOP_MYSQL_PORT=$$($(DEV_COMPOSE) port mysql 3306 | cut -d: -f2) \
	BOOKSHOP_MYSQL_DATABASE=shop \
	BOOKSHOP_MYSQL_USER=$(DEV_READER_USER) \
	BOOKSHOP_MYSQL_PASSWORD=$$($(DEV_COMPOSE) exec -T mysql cat /run/bookshop-passwords/dagster/mysql_reader) \
	BOOKSHOP_STORAGE_PATH=$(CURDIR)/.dev/data/storage \
	BOOKSHOP_EXPORTS_PATH=$(CURDIR)/.dev/data/exports \
	BOOKSHOP_INCOMING_PATH=$(CURDIR)/.dev/data/incoming \
	BOOKSHOP_ALERT_WEBHOOK_URL= \
	DAGSTER_WEBSERVER_PUBLIC_URL=http://127.0.0.1:$(DEV_UI_PORT) \
	DAGSTER_HOME=$(CURDIR)/.dev/dagster_home \
	$(VENV)/bin/dagster dev -m bookshop.definitions -h 127.0.0.1 -p $(DEV_UI_PORT)

dev-down:
	$(DEV_COMPOSE) down

# Images tagged `bench` unless BOOKSHOP_TEST_IMAGE_TAG says otherwise; the compressed month runs
# 5 minutes here, its 30-minute record apart (see bench/README.md).
bench: $(VENV)/installed
	BOOKSHOP_TEST_IMAGE_TAG=$${BOOKSHOP_TEST_IMAGE_TAG:-bench} $(VENV)/bin/python -m bench --soak-minutes 5

# The operator guide's screenshots (docs/screenshots/), from the browser tests on a stack of their own.
screenshots: $(VENV)/installed
	BOOKSHOP_SCREENSHOT_DIR=docs/screenshots $(VENV)/bin/python -m pytest tests/e2e tests/security -k "browser or audit_says"

# Re-resolve every pin after changing a version in user_code/pyproject.toml or locks/*.in.
# dagster-previous.txt: the previous Dagster release, for the upgrade drill (docs/operator-guide.md);
# the warehouse's: the second team's code location of the tests (tests/code_locations/).
lock: $(VENV)/installed
	$(VENV)/bin/uv pip compile $(PLATFORM) user_code/pyproject.toml -o locks/user_code.txt
	cd locks && ../$(VENV)/bin/uv pip compile $(PLATFORM) dagster.in -c user_code.txt -o dagster.txt
	cd locks && ../$(VENV)/bin/uv pip compile $(PLATFORM) dagster-previous.in -o dagster-previous.txt
	cd locks && ../$(VENV)/bin/uv pip compile $(PLATFORM) dev.in -o dev.txt
	cd tests/code_locations/warehouse && ../../../$(VENV)/bin/uv pip compile $(PLATFORM) requirements.in -o requirements.txt

clean:
	rm -rf $(VENV) test-output .pytest_cache .ruff_cache user_code/.mypy_cache .dev

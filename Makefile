# Developer commands. The two a newcomer needs: `docker compose up` (start) and `make test`.
PYTHON ?= python3
VENV := .venv
UV_VERSION := 0.13.9
PLATFORM := --python-version 3.11 --python-platform x86_64-unknown-linux-gnu --no-header --quiet

.PHONY: test test-unit lint bench lock screenshots clean

$(VENV)/installed: locks/dev.txt user_code/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet uv==$(UV_VERSION)
	$(VENV)/bin/uv pip install --quiet --python $(VENV)/bin/python -r locks/dev.txt
	$(VENV)/bin/uv pip install --quiet --python $(VENV)/bin/python --no-deps -e user_code
	touch $@

lint: $(VENV)/installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Everything: unit, integration (MySQL from the compose stack unless BOOKSHOP_TEST_MYSQL_ADMIN_URL
# is set), the compose stack end to end, and the browser tests.
test: lint
	$(VENV)/bin/python -m pytest

# The tests that need no Docker and no database server: seconds, for a quick loop while editing.
test-unit: $(VENV)/installed
	$(VENV)/bin/python -m pytest -m unit

# Images tagged `bench` unless BOOKSHOP_TEST_IMAGE_TAG says otherwise (see bench/README.md).
bench: $(VENV)/installed
	BOOKSHOP_TEST_IMAGE_TAG=$${BOOKSHOP_TEST_IMAGE_TAG:-bench} $(VENV)/bin/python -m bench

# The operator guide's screenshots (docs/screenshots/), from the browser tests on a stack of their own.
screenshots: $(VENV)/installed
	BOOKSHOP_SCREENSHOT_DIR=docs/screenshots $(VENV)/bin/python -m pytest tests/e2e -k browser

# Re-resolve every pin after changing a version in user_code/pyproject.toml or locks/*.in.
lock: $(VENV)/installed
	$(VENV)/bin/uv pip compile $(PLATFORM) user_code/pyproject.toml -o locks/user_code.txt
	cd locks && ../$(VENV)/bin/uv pip compile $(PLATFORM) dagster.in -c user_code.txt -o dagster.txt
	cd locks && ../$(VENV)/bin/uv pip compile $(PLATFORM) dev.in -o dev.txt

clean:
	rm -rf $(VENV) test-output .pytest_cache .ruff_cache

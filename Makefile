# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.PHONY: run test install lint format check migrate clean install-service uninstall-service

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py bootstrap_demo
	$(PY) -m dashboard.launcher

# The embedded default as a systemd service (dashboard/service.py): started at boot, restarted
# on failure, logs in the journal. Runs as you (or SERVICE_USER=name); asks sudo for the rest.
SERVICE := ewelink-dashboard
UNIT := /etc/systemd/system/$(SERVICE).service
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

install-service: $(STAMP)
	unit=$$(mktemp) && $(PY) -m dashboard.service unit $(if $(SERVICE_USER),--user $(SERVICE_USER)) >"$$unit" \
	  && $(SUDO) install -m 644 "$$unit" $(UNIT); status=$$?; rm -f "$$unit"; exit $$status
	$(SUDO) systemctl daemon-reload
	$(SUDO) systemctl enable --now $(SERVICE)
	@echo "Installed $(UNIT). Logs: journalctl -u $(SERVICE) -f"

uninstall-service:
	-$(SUDO) systemctl disable --now $(SERVICE)
	$(SUDO) rm -f $(UNIT)
	$(SUDO) systemctl daemon-reload

test: $(STAMP) $(VENV)/.browser
	$(PY) -m pytest

install: $(STAMP)

# Reinstall whenever the project's own dependency list changes.
$(STAMP): pyproject.toml tests/dummy_plugin/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade "pip>=25.1"
	$(PIP) install -q -e . --group dev
	$(PIP) install -q -e tests/dummy_plugin
	touch $@

# Browser tests drive Chromium: Debian's package where apt is available (CI, this machine),
# otherwise Playwright's own download.
$(VENV)/.browser: $(STAMP)
	@if command -v chromium >/dev/null 2>&1; then echo "Using $$(command -v chromium)"; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else $(PY) -m playwright install chromium; fi
	touch $@

# The page protocol is typed end to end: its TypedDicts and every module that builds them.
PROTOCOL_MODULES := realtime/events.py realtime/snapshot.py realtime/reload.py realtime/apps.py \
	realtime/worker/ingest.py realtime/worker/connection.py devices/structure.py \
	devices/fragments.py devices/batch_control.py accounts/layout.py accounts/notifications.py \
	accounts/syncing.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy ewelink
	$(VENV)/bin/mypy --follow-imports=silent --disable-error-code django-manager-missing \
		$(PROTOCOL_MODULES)

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check: $(STAMP)
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf var/static var/run

# fundflow developer commands. Each target works on a fresh clone: the scripts
# in scripts/ create .venv and install what is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Extra arguments for pytest / the bench module: make test ARGS='-k budget -x'
ARGS ?=

.PHONY: help setup run test bench lint clean backup restore

# make backup [BACKUP=folder]; make restore BACKUP=folder [FORCE=1]
BACKUP ?=
FORCE ?=

help:
	@echo "make setup   install OS packages (as root), .venv and the project"
	@echo "make run     migrate, seed demo data, run web (PORT=8000) + Celery worker"
	@echo "make test    ruff, import contracts, mypy, migration check, pytest (PostgreSQL + Redis when possible)"
	@echo "make bench   run benchmarks, print var/bench/results.json"
	@echo "make lint    ruff check + ruff format --check, import contracts, mypy"
	@echo "make backup  database + uploaded files into var/backups/<time>/ (BACKUP=folder to choose)"
	@echo "make restore BACKUP=folder [FORCE=1]: into an empty database, then rows and audit chain checked"
	@echo "make clean   stop the Redis started in var/, delete var/ and .venv/"

setup:
	@bash scripts/setup.sh

run:
	@bash scripts/run.sh

test:
	@bash scripts/test.sh $(ARGS)

bench:
	@bash scripts/bench.sh $(ARGS)

backup:
	@bash scripts/backup.sh $(BACKUP)

restore:
	@FORCE=$(FORCE) bash scripts/restore.sh $(BACKUP)

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports --no-logo --no-cache
	.venv/bin/mypy

clean:
	@source scripts/services.sh && stop_redis
	rm -rf var .venv .pytest_cache .ruff_cache .mypy_cache staticfiles *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

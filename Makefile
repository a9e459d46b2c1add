# Thin, self-documenting Makefile: recipes call scripts and console scripts; `make help` lists targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export NO_MKDOCS_2_WARNING := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.DEFAULT_GOAL := help
.PHONY: help run test ci-test lint format typecheck site serve vendor sysdeps pipeline dvc-repro lesion-pipeline lesion-dvc-repro audit fuzz-serve bench numbers numbers-full clean cards qti book lock

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

run: ## Set up, build the course site and serve it on http://127.0.0.1:8000 (PORT=8001 to change)
	@$(PYTHON) tools/preflight.py --port $(PORT) --need-npm
	@$(MAKE) --no-print-directory $(VENV)/.installed-docs site
	@$(PY) tools/serve_site.py --port $(PORT)

test: ## Set up (system packages, venv) and run every test
	@$(PYTHON) tools/preflight.py --need-npm
	@bash tools/sysdeps.sh
	@$(MAKE) --no-print-directory $(VENV)/.installed-all vendor $(HUB_PROXY)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-all ## Lint and check formatting (ruff), type-check (mypy)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(VENV)/.installed-all ## Format the code (ruff)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

site: $(VENV)/.installed-docs vendor ## Build the course site into build/site (strict)
	$(VENV)/bin/mkdocs build --strict --quiet

cards: $(VENV)/.installed-docs ## Export the flashcards as Anki decks into build/exports/anki
	$(PY) site/tools/anki_export.py

qti: $(VENV)/.installed-docs ## Export the quizzes as QTI packages (Canvas/Moodle) into build/exports/qti
	$(PY) site/tools/qti_export.py

book: $(VENV)/.installed-docs vendor ## Print all lessons and labs to build/labbook.pdf (headless chromium)
	$(PY) site/tools/labbook.py

serve: ## Serve an already built site (PORT=8000)
	@$(PY) tools/serve_site.py --port $(PORT)

vendor: $(VENV)/.installed-docs ## Vendor mermaid/MathJax/iframe-worker from npm into build/vendor
	@$(PY) site/hooks/vendor_assets.py

sysdeps: ## Install Debian packages the tests need (bubblewrap, chromium, podman, debootstrap) when root
	@bash tools/sysdeps.sh

# JupyterHub's proxy (npm) for the cohort-hub smoke test (tests/containers/test_containers_hub.py).
HUB_PROXY := build/hub-proxy/node_modules/.bin/configurable-http-proxy
$(HUB_PROXY):
	npm install --prefix build/hub-proxy --no-audit --no-fund --silent configurable-http-proxy@5

lock: $(VENV)/.installed-all ## Re-pin the container images (docker/*.lock, binder/requirements.txt; needs the index)
	$(PY) tools/lock.py

pipeline: $(VENV)/.installed-all ## Run the reference fraud pipeline on the small preset from scratch (simulate → register)
	$(VENV)/bin/fraud pipeline --preset small --fresh --params params.yaml

dvc-repro: $(VENV)/.installed-all ## Re-run only the changed stages of the fraud pipeline with DVC (dvc.yaml, params.yaml)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/dvc repro

lesion-pipeline: $(VENV)/.installed-all ## Run the reference skin-lesion pipeline on the small preset from scratch (simulate → register)
	$(VENV)/bin/lesion pipeline --preset small --fresh --params params.yaml

lesion-dvc-repro: $(VENV)/.installed-all ## Re-run only the changed stages of the lesion pipeline with DVC (reference_impl/lesion/dvc.yaml)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/dvc repro reference_impl/lesion/dvc.yaml

audit: $(VENV)/.installed-all ## Score this repository's MLOps maturity (mlops-cohort audit; Markdown in build/cohort/)
	$(VENV)/bin/mlops-cohort audit . --out build/cohort/audit-self.md

fuzz-serve: $(VENV)/.installed-all ## Fuzz the scoring API (fraud and lesion routes) longer: schemathesis --checks all, 500 examples (SERVE_FUZZ_SEED=n replays)
	SERVE_FUZZ_EXAMPLES=$${SERVE_FUZZ_EXAMPLES:-500} $(PY) -m pytest tests/reference_impl/serve/test_serve_contract.py tests/reference_impl/serve/test_serve_lesion_contract.py -s -q -p no:cacheprovider

bench: $(VENV)/.installed-all ## Run every benchmark script in benchmarks/ (slow; prints tables)
	@for script in benchmarks/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

numbers: $(VENV)/.installed-all ## Recompute the course's cheap figures (small preset) into course/_data/*.json
	$(PY) tools/course_numbers.py

numbers-full: $(VENV)/.installed-all ## Also the full-preset figures (run before a cohort; nice, takes long)
	nice $(PY) tools/course_numbers.py --full

clean: ## Remove generated output (build/, caches); keeps .venv
	rm -rf build .pytest_cache .mypy_cache .ruff_cache

distclean: clean ## Also remove the virtual environment
	rm -rf $(VENV)

$(VENV)/bin/python:
	@$(PYTHON) tools/preflight.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# One stamp per extra set: re-installs when pyproject.toml changes.
$(VENV)/.installed-docs: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[docs]'
	@touch $@

$(VENV)/.installed-all: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[all]'
	@touch $@ $(VENV)/.installed-docs

# The course's commands. `make lab` and `make test` build the virtual environment on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-from-requirements
# Kernels started from here import this checkout's helpers, whatever else is installed.
export PYTHONPATH := $(CURDIR)

.PHONY: help venv lab test test-slides lint execute images clean slide-metadata site slides

help:
	@echo "make lab      open the course in JupyterLab (localhost only, with a token)"
	@echo "make test     run the whole test suite: ruff, unit tests, every notebook with nbval"
	@echo "make test-slides  check in headless Chromium that every slide screen fits 1280x720"
	@echo "make execute  re-execute every notebook in place (the only way outputs are stored)"
	@echo "make images   regenerate the diagrams in images/"
	@echo "make site     build the offline web site and slides of every notebook in build/site/"
	@echo "make slides   build only the reveal.js slides (build/site/slides/)"
	@echo "make slide-metadata  give every cell its slide type (metadata only, no re-execution)"
	@echo "make clean    remove the virtual environment and caches"

# Rebuilt whenever requirements.txt or pyproject.toml change.
$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

# Localhost only, token kept. Jupyter refuses root unless told; containers often run as root.
LAB_FLAGS := --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=notebooks
LAB_FLAGS += $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP)
	$(BIN)/jupyter lab $(LAB_FLAGS)

lint: $(STAMP)
	$(BIN)/ruff check helpers tests tools notebooks

test: lint
	$(BIN)/python -m pytest

# Walks every slide and fragment of every deck (about a minute): its own target, so that
# `make test` keeps its time budget. Report in test-artifacts/slide-fit.txt.
test-slides: $(STAMP)
	$(BIN)/python -m pytest -m slides_fit tests/test_slide_fit.py

execute: $(STAMP)
	$(BIN)/python tools/execute_notebooks.py $(NOTEBOOKS)

images: $(STAMP)
	$(BIN)/python tools/make_images.py

site: $(STAMP)
	$(BIN)/python tools/build_site.py

slides: $(STAMP)
	$(BIN)/python tools/build_site.py --slides-only

slide-metadata: $(STAMP)
	$(BIN)/python tools/slide_metadata.py $(NOTEBOOKS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build

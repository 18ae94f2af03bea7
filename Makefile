# The course's commands. `make lab` and `make test` build the virtual environment on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-from-requirements
# Kernels started from here import this checkout's helpers, whatever else is installed.
export PYTHONPATH := $(CURDIR)

.PHONY: help venv lab test lint execute images clean slide-metadata site slides \
	test-portable test-run-all test-slides test-site test-lab check benchmark-tests \
	test-versions test-solutions test-processes

help:
	@echo "make lab      open the course in JupyterLab (localhost only, with a token)"
	@echo "make test     the suite to run before every commit: ruff, unit tests, every lesson with nbval"
	@echo "make check    everything CI runs: make test, test-processes, test-portable, test-run-all, test-versions, test-lab, test-slides, test-site, site"
	@echo "make test-solutions the solution notebooks under nbval (make test-portable runs them too)"
	@echo "make test-portable  every notebook under nbval on simulated AVX2 and generic x86-64 machines"
	@echo "make test-run-all   every notebook run as JupyterLab's Restart & Run All runs it"
	@echo "make test-processes the tests that start fresh interpreters (spawned ranks, an ordinary kernel)"
	@echo "make test-versions  Run All and the unit tests with the oldest and the newest supported versions"
	@echo "make test-slides    check in headless Chromium that every slide screen fits 1280x720"
	@echo "make test-site      build lesson 01's pages and slides and check them, in headless Chromium too"
	@echo "make test-lab       start JupyterLab and run notebook 01 in headless Chromium"
	@echo "make benchmark-tests  time make test (wall clock) and list the slowest tests"
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

# One worker per core, one thread per worker: more threads per worker only fight for the
# cores. Stored outputs are identical with any thread count (make test-portable checks it).
# Python's bytecode caches (__pycache__/, ignored by git) stay on even where the environment
# turns them off (PYTHONDONTWRITEBYTECODE): without them every worker, kernel and script
# recompiles the course's modules and pytest rewrites every test file again (about 2 s a run).
TEST_ENV := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONDONTWRITEBYTECODE=
TEST_CMD := $(TEST_ENV) $(BIN)/python -m pytest -n auto --dist loadfile --no-loadscope-reorder

test: lint
	$(TEST_CMD)

# The solution notebooks under nbval, as make test runs the lessons. make test leaves them out
# (their code passes its checks in tests/test_exercises.py, without a kernel each); CI compares
# their stored outputs in every configuration of make test-portable.
test-solutions: $(STAMP)
	$(TEST_CMD) notebooks/solutions

test-portable: $(STAMP)
	$(BIN)/python tools/portability.py

test-run-all: $(STAMP)
	$(BIN)/python tools/run_all.py

# The two ends of the supported range (pyproject.toml): .venv-oldest/ and .venv-newest/, each
# built once from requirements-oldest.txt / requirements-newest.txt (PyTorch's CUDA build from
# PyPI: a few GB and minutes each) and reused while those files are unchanged. In each, Run All
# of every notebook and the unit tests not marked `pinned`; stored outputs are not compared.
test-versions: $(STAMP)
	$(BIN)/python tools/test_versions.py

check: test test-processes test-portable test-run-all test-versions test-lab test-slides test-site site

benchmark-tests: $(STAMP)
	$(BIN)/python tools/benchmark_tests.py

# Walks every slide and fragment of every deck (about a minute): its own target, so that
# `make test` keeps its time budget. Report in test-artifacts/slide-fit.txt.
test-slides: $(STAMP)
	$(BIN)/python -m pytest -m slides_fit tests/test_slide_fit.py

# Tests that start fresh interpreters importing PyTorch (the spawn start method of
# run_on_ranks, an ordinary kernel beside a forked one): a few seconds of a core each, so not
# in `make test`; CI runs them here and in both environments of make test-versions.
test-processes: $(STAMP)
	$(BIN)/python -m pytest -m fresh_processes tests/test_distributed.py tests/test_warm_kernels.py

test-site: $(STAMP)
	$(TEST_ENV) $(BIN)/python -m pytest -m site_build tests/test_site.py tests/test_browser.py

# JupyterLab, started as `make lab` starts it, runs notebook 01 in headless Chromium: the
# learner's Run All in the real front end (about 17 s of one core, so not in `make test`).
test-lab: $(STAMP)
	$(TEST_ENV) $(BIN)/python -m pytest -m lab_run tests/test_browser.py

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

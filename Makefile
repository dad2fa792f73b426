# Two commands on a fresh machine:  make all  (set-up, every figure, the report)  and  make test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DIR ?= data
DATA_DIR ?= data

.PHONY: all venv figures data check-data report latex-deps test verify bench study beyond submission clean

all: figures report

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

# The four scripts and the three studies, side by side (dlbasics/build.py says how).
figures: venv
	@$(PY) -m dlbasics.build --data-dir "$(DATA_DIR)"

data: venv                 ## regenerate the bundled datasets (byte-identical)
	$(PY) -m dlbasics.gendata

check-data: venv           ## make check-data DIR=path/to/your/files
	$(PY) -m dlbasics.checkdata "$(DIR)"

latex-deps:
	@command -v latexmk >/dev/null || { \
	  echo "installing LaTeX (texlive-latex-base texlive-latex-recommended latexmk poppler-utils)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    texlive-latex-base texlive-latex-recommended latexmk poppler-utils >/dev/null; }

report: latex-deps venv
	@$(PY) -m dlbasics.claims figures
	@cd report && latexmk -pdf -interaction=nonstopmode -halt-on-error -quiet report.tex >/dev/null \
	    || { tail -40 report.log; exit 1; }; \
	  ! grep -E "Warning: (Reference|Citation) .* undefined|File .* not found" report.log \
	    || { echo "report: undefined reference or missing file"; exit 1; }; \
	  echo "report: wrote report/report.pdf"

test: all
	$(PY) -m pytest -q

verify: venv               ## the grader's check: rerun a small study, compare with the shipped numbers
	$(PY) -m dlbasics.verify

bench: venv                ## engine vs the scripts' own loops, side by side (minutes); ends with BENCH lines
	$(PY) -m bench.bench

study: venv                ## the large study (make study DATA_DIR=...): 1000 seeds + lr sweep, 100, 32; the report
	$(PY) -m dlbasics.build --large --data-dir "$(DATA_DIR)"
	$(MAKE) -s report

beyond: venv               ## beyond the handout: initialisation, example order, the 2017 edition; the report
	$(PY) -m dlbasics.beyond --data-dir "$(DATA_DIR)"
	$(MAKE) -s report

submission: venv           ## the handout's ZIP: report.pdf and the four scripts, 1_<penn key>.zip
	$(PY) -m dlbasics.submission

clean:
	rm -rf figures/*.png figures/*.pdf figures/*.json figures/*.csv figures/*.tex figures/.staging-*
	cd report && latexmk -C -quiet 2>/dev/null || true

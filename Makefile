# Two commands on a fresh machine:  make all  (set-up, every figure, the report)  and  make test.
# Every path variable reaches the shell as one word, whatever it holds ($, quotes, backticks, spaces):
# $(call arg,NAME) single-quotes NAME's value as given, unexpanded. The long steps run with `exec`, so a
# signal make passes on (kill -TERM <make>) reaches the Python program itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DIR ?= data
DATA_DIR ?= data
arg = '$(subst ','\'',$(value $(1)))'

.PHONY: all venv figures data check-data report latex-deps test-deps test verify bench study beyond submission clean

# One step after the other, also under make -j: the report is built from the figures just made.
all:
	@$(MAKE) --no-print-directory figures
	@$(MAKE) --no-print-directory report

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

# The four scripts and the three studies, side by side; skipped when nothing changed (dlbasics/build.py).
figures: venv
	@exec $(PY) -m dlbasics.build --data-dir $(call arg,DATA_DIR)

data: venv                 ## regenerate the bundled datasets (byte-identical)
	$(PY) -m dlbasics.gendata

check-data: venv           ## make check-data DIR=path/to/your/files
	@exec $(PY) -m dlbasics.checkdata $(call arg,DIR)

latex-deps: venv           ## latexmk and pdflatex: installed with apt-get as root, else named in one line
	@$(PY) -m dlbasics.common.deps latex

test-deps: venv            ## what the tests also need: pdftotext
	@$(PY) -m dlbasics.common.deps test

# The numbers and sentences from figures/, the author line from report/author.txt, then the PDF, which
# replaces the old one only once it is complete (dlbasics/report/pdf.py).
report: venv
	@exec $(PY) -m dlbasics.report

test: test-deps
	@$(MAKE) --no-print-directory all
	$(PY) -m pytest -q

verify: venv               ## the grader's check: rerun a small study, compare with the shipped numbers
	@exec $(PY) -m dlbasics.verify

bench: venv                ## engine vs the scripts' own loops, side by side (minutes); ends with BENCH lines
	@exec $(PY) -m bench.bench

study: venv                ## the large study (make study DATA_DIR=...): 1000 seeds + lr sweep, 100, 32; the report
	$(PY) -m dlbasics.build --large --data-dir $(call arg,DATA_DIR)
	@$(MAKE) --no-print-directory report

beyond: venv               ## beyond the handout: initialisation, example order, the 2017 edition; the report
	$(PY) -m dlbasics.study.beyond --data-dir $(call arg,DATA_DIR)
	@$(MAKE) --no-print-directory report

submission: venv           ## the handout's ZIP: report.pdf and the four scripts, 1_<penn key>.zip
	@exec $(PY) -m dlbasics.submission $(if $(filter command line environment,$(origin DATA_DIR)),--data-dir $(call arg,DATA_DIR))

clean:
	rm -rf figures/*.png figures/*.pdf figures/*.json figures/*.csv figures/*.tex figures/.staging-* \
	  figures/.build-inputs report/.build-*
	cd report && latexmk -C -quiet 2>/dev/null || true

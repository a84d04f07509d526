# Two commands for a fresh machine with only Python and the package index:
#   make demo   installs into .venv and runs the default ruleset over the bundled sample
#   make test   installs with the test extras and runs the whole suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml examples/clientwise-nps/pyproject.toml examples/clientwise-rfm/pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test,durable]" -e examples/clientwise-nps -e "examples/clientwise-rfm[test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/clientwise demo

test: $(STAMP) browser
	$(BIN)/python -m pytest -n 2 -q

# The HTML report's test opens it in headless Chromium (Debian's package), and the PDF
# test prints it and reads the pages back with poppler-utils (pdfinfo, pdftoppm,
# pdftotext). Installed when missing and we may (root with apt-get); otherwise those
# test modules are skipped and say why.
.PHONY: browser
browser:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing=" chromium"; \
	command -v pdftoppm >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing$$missing for the browser and PDF tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
			|| echo "could not install$$missing: the browser and PDF tests will be skipped"; \
	fi

# The reports' own sentences (tr("...") in Python and the HTML template) into the
# message catalogue template, merged into each language's .po (then translate the new
# entries; tests/test_report_locale.py fails while one is missing). .po files are read
# at run time: there is nothing to compile. The built-in sections keep their own
# catalogue (plugins/sections/locales), as a third-party section does.
LOCALES := core/output/locales
.PHONY: messages
messages: $(STAMP)
	$(BIN)/pybabel extract -F $(LOCALES)/babel.cfg -k tr -k Notice:2 -k Reason --no-default-keywords --sort-output --no-location \
		--omit-header -o $(LOCALES)/clientwise.pot core plugins/reports
	for po in $(LOCALES)/*.po; do \
		$(BIN)/pybabel update -i $(LOCALES)/clientwise.pot -o $$po -l $$(basename $$po .po) --no-fuzzy-matching --omit-header --ignore-obsolete; \
	done

# The report screenshots in docs/ (English and German), taken in headless Chromium.
.PHONY: screenshots
screenshots: $(STAMP) browser
	$(BIN)/python tests/screenshots.py

bench: $(STAMP)
	$(BIN)/python bench/bench_evaluate.py --customers 10000 100000 1000000

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis

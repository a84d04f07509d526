"""The ``pdf`` format: the HTML report printed by headless Chromium, ready to send or print.

Printing the report ourselves (rather than a PDF library) keeps one layout for screen,
paper and PDF: the print stylesheet (``templates/report.print.css``) decides the page
breaks, and the pages look as they do when a reader prints the HTML. Chromium is an
external program, found on ``PATH`` (``chromium``, ``chromium-browser``, ``google-chrome``)
or named by ``CLIENTWISE_CHROMIUM``; without one the writer refuses before the evaluation
runs and says how to install it. The report loads nothing from the network (its Content
Security Policy forbids it), so printing needs no network either.

Chromium stamps the PDF with the time it was printed; both stamps are replaced by the
run's ``as_of`` date (same length, so the file's cross-reference offsets stay right) and
the same result printed by the same Chromium version gives a byte-identical file.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from clientwise.errors import InputError, Problem
from clientwise.host.contracts import Writer
from clientwise.host.spec import hookimpl
from clientwise.output.write import is_terminal
from clientwise.plugins.reports import html
from clientwise.plugins.reports.printing import DEFAULT_PDF_PAPER, Paper, find_paper
from clientwise.runtime.result import Result

#: Programs tried, in order, when ``CLIENTWISE_CHROMIUM`` does not name one.
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
#: Environment variable naming the browser to print with (a path or a program on PATH).
BROWSER_VARIABLE = "CLIENTWISE_CHROMIUM"
#: Seconds a print may take: a report of thousands of actions runs to hundreds of pages.
TIMEOUT = 900
_FLAGS = ("--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--disable-extensions", "--disable-dev-shm-usage", "--mute-audio", "--no-pdf-header-footer")
_INSTALL = ("install Chromium (Debian/Ubuntu: apt-get install chromium; macOS: brew install --cask chromium; "
            f"Windows: install Chrome) or set {BROWSER_VARIABLE} to the browser's path; or write the report "
            "with --format html and print it from a browser")
_STAMP = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}(?:[+-]\d\d'\d\d'|Z)?\)")


def find_chromium(environ: Mapping[str, str] | None = None) -> str:
    """The browser to print with, or an error (exit 2) saying how to get one."""
    environ = os.environ if environ is None else environ
    named = environ.get(BROWSER_VARIABLE, "").strip()
    if named:
        found = shutil.which(named)
        if found is None:
            raise InputError(Problem(f"{BROWSER_VARIABLE} names no program that can run", location=BROWSER_VARIABLE,
                                     value=named, hint=f"give the path of a Chromium or Chrome executable; {_INSTALL}"))
        return found
    for name in BROWSERS:
        found = shutil.which(name)
        if found is not None:
            return found
    raise InputError(Problem("PDF output needs Chromium (or Chrome) to print the report, and none was found",
                             location="--format pdf", hint=_INSTALL))


def fixed_dates(data: bytes, day: dt.date) -> bytes:
    """``data`` with Chromium's creation and modification times replaced by ``day`` at midnight UTC."""
    stamp = f"D:{day:%Y%m%d}000000+00'00'".encode("ascii")

    def replace(match: re.Match[bytes]) -> bytes:
        text = b"/" + match.group(1) + b" (" + stamp + b")"
        return text if len(text) == len(match.group(0)) else match.group(0)  # never move the xref offsets

    return _STAMP.sub(replace, data)


def print_pdf(browser: str, page: str, timeout: float = TIMEOUT) -> bytes:
    """``page`` (an HTML document) printed to PDF by ``browser``, using the page's ``@page`` size."""
    with tempfile.TemporaryDirectory(prefix="clientwise-pdf-") as folder:
        source, target = Path(folder) / "report.html", Path(folder) / "report.pdf"
        source.write_text(page, encoding="utf-8")
        sandbox = ("--no-sandbox",) if hasattr(os, "geteuid") and os.geteuid() == 0 else ()  # root: no sandbox
        command = [browser, *_FLAGS, *sandbox, f"--user-data-dir={Path(folder) / 'profile'}",
                   f"--print-to-pdf={target}", source.as_uri()]
        try:
            done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise _failed(browser, f"it did not finish within {timeout:.0f} seconds") from None
        except OSError as error:
            raise _failed(browser, str(error)) from error
        data = target.read_bytes() if target.is_file() else b""
        if done.returncode != 0 or not data.startswith(b"%PDF"):
            lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise _failed(browser, f"it exited with {done.returncode}" + (f": {lines[-1]}" if lines else ""))
    return data


def _failed(browser: str, why: str) -> InputError:
    return InputError(Problem(f"Chromium could not print the report: {why}", location="--format pdf", value=browser,
                              hint="check that this browser starts (run it with --headless --version), or "
                                   f"set {BROWSER_VARIABLE} to another one; nothing was written"))


class PdfWriter(Writer):
    """The HTML report as a PDF, landscape, on ``paper`` (A4 unless ``--paper`` says otherwise)."""

    format: ClassVar[str] = "pdf"
    suffix: ClassVar[str] = ".pdf"
    description: ClassVar[str] = "The HTML report printed to PDF by headless Chromium (landscape, A4 or --paper)."
    options: ClassVar[frozenset[str]] = frozenset({"paper"})
    review: ClassVar[bool] = True  # the HTML report's "since the last review" when a previous run is stored

    def __init__(self, paper: Paper = DEFAULT_PDF_PAPER, browser: str | None = None):
        self.paper = paper
        self.browser = browser

    def configure(self, **options: str) -> PdfWriter:
        """Find the browser now, so a missing one stops the run before it evaluates."""
        chosen = find_paper(options["paper"]) if "paper" in options else self.paper
        return PdfWriter(chosen, self.browser or find_chromium())

    def write(self, result: Result, stream: BinaryIO) -> None:
        if is_terminal(stream):
            raise InputError(Problem("a PDF is binary and cannot be shown in the terminal",
                                     location="--format pdf", hint="write it to a file with -o report.pdf"))
        browser = self.browser or find_chromium()
        data = print_pdf(browser, html.render(result, paper=self.paper))
        stream.write(fixed_dates(data, result.as_of))


@hookimpl
def clientwise_writers() -> list[Any]:
    return [PdfWriter()]

"""Paper sizes and the printed page of the reports: what a leadership meeting gets on paper.

The HTML report prints landscape (wide tables and charts fit), with the report's title
and "page / pages" in the page margins, on the paper the browser's print dialog
chooses, or on the paper ``--paper`` names (the PDF is always printed on one). The
workbook's sheets get the same paper when it is named. Layout rules for print (page
breaks, repeated table headers, no filters) are in ``templates/report.print.css``.
"""

from __future__ import annotations

from dataclasses import dataclass

from clientwise.errors import InputError, Problem, did_you_mean


@dataclass(frozen=True)
class Paper:
    """A sheet of paper, named as CSS and spreadsheet programs name it."""

    name: str
    #: The CSS ``@page`` size keyword.
    css: str
    #: The paper size code of the Office Open XML ``pageSetup`` element.
    ooxml: int


#: The papers ``--paper`` takes: ISO A4 for most of the world, Letter (and Legal) for
#: North America. A3 is for big portfolios' coverage matrices.
PAPERS = {
    "a4": Paper("a4", "A4", 9),
    "a3": Paper("a3", "A3", 8),
    "letter": Paper("letter", "letter", 1),
    "legal": Paper("legal", "legal", 5),
}
#: The paper a PDF is printed on when none is named.
DEFAULT_PDF_PAPER = PAPERS["a4"]


def find_paper(name: str, option: str = "--paper") -> Paper:
    """The paper called ``name`` (case and spaces ignored), or a clear error naming the choices."""
    key = name.strip().lower().replace(" ", "")
    if key in PAPERS:
        return PAPERS[key]
    suggestion = did_you_mean(key, PAPERS)
    choices = f"use one of: {', '.join(PAPERS)}"
    raise InputError(Problem(f"unknown paper size '{name}'", location=option, value=name,
                             hint=f"{suggestion} {choices}" if suggestion else choices))


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string that cannot end the string or the ``<style>`` element.

    Anything but letters, digits, spaces and harmless punctuation is written as a six-digit
    hex escape, so a title such as ``</style><script>`` stays text.
    """
    safe = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;-_()+#&/")
    return '"' + "".join(c if c in safe else f"\\{ord(c):06x}" for c in text) + '"'


def page_css(title: str, chosen: Paper | None = None) -> str:
    """The ``@page`` rule: landscape on ``chosen`` (else the printer's paper), the title
    at the bottom left and the page number at the bottom right of every page."""
    size = f"{chosen.css} landscape" if chosen is not None else "landscape"
    margin_text = "font:8pt system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#616e7c"
    return (
        f"@page{{size:{size};margin:12mm 12mm 14mm;"
        f"@bottom-left{{content:{css_string(title)};{margin_text}}}"
        f"@bottom-right{{content:counter(page) \" / \" counter(pages);{margin_text}}}}}\n"
    )

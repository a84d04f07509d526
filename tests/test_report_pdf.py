"""``--format pdf``: the sample report printed by headless Chromium, read back with poppler.

The pages are checked the way a reader leafing through them would notice problems:
how many there are and on what paper, that none is blank (``pdftoppm`` renders each),
that every section starts a page, that no heading is left alone at the bottom of a
page and that every chart is on one page with its title and caption (the text and its
position on each page come from ``pdftotext -bbox-layout``).

Needs Debian's ``chromium`` and ``poppler-utils`` (``make test`` installs both as root);
without them the module is skipped and says why.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from report_inputs import sample_result

from clientwise.cli.app import cli
from clientwise.errors import InputError
from clientwise.plugins.reports import html as report_html
from clientwise.plugins.reports.pdf import find_chromium
from clientwise.sample import DEMO_AS_OF

POPPLER = all(shutil.which(tool) for tool in ("pdfinfo", "pdftoppm", "pdftotext"))
try:
    CHROMIUM: str | None = find_chromium()
except InputError:
    CHROMIUM = None
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or not POPPLER,
    reason="needs Chromium and poppler-utils: run 'apt-get install chromium poppler-utils' (make test does it as root)",
)

#: The print stylesheet's bottom page margin (14 mm) in points: only the title and page number are below it.
BOTTOM_MARGIN = 14 / 25.4 * 72
#: A4 landscape in points, as Chromium writes it.
A4_LANDSCAPE = (841.92, 594.96)


@dataclass(frozen=True)
class Line:
    page: int
    top: float
    bottom: float
    text: str


def demo_pdf(path: Path) -> Path:
    """``clientwise demo -o PATH`` (in-process): the sample report as a PDF."""
    run = CliRunner().invoke(cli, ["demo", "-o", str(path)], catch_exceptions=False)
    assert run.exit_code == 0, run.output
    return path


@pytest.fixture(scope="module")
def pdf(tmp_path_factory) -> Path:
    return demo_pdf(tmp_path_factory.mktemp("pdf") / "sample.pdf")


def pdfinfo(path: Path) -> dict[str, str]:
    text = subprocess.run(["pdfinfo", "-isodates", str(path)], capture_output=True, text=True, check=True).stdout
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in text.splitlines())}


def lines(path: Path) -> tuple[list[Line], float]:
    """Every line of text with its page (from 1) and vertical position, and the page height."""
    xhtml = subprocess.run(["pdftotext", "-bbox-layout", str(path), "-"], capture_output=True, check=True).stdout
    ns = {"x": "http://www.w3.org/1999/xhtml"}
    found = []
    height = 0.0
    for number, page in enumerate(ET.fromstring(xhtml).iter("{http://www.w3.org/1999/xhtml}page"), start=1):
        height = float(page.get("height"))
        for line in page.iterfind(".//x:line", ns):
            words = " ".join(w.text or "" for w in line.iterfind("x:word", ns))
            found.append(Line(number, float(line.get("yMin")), float(line.get("yMax")), words))
    return found, height


class _Outline(HTMLParser):
    """The report's section titles, block titles and charts, as the HTML has them."""

    def __init__(self) -> None:
        super().__init__()
        self.h2: list[str] = []
        self.h3: list[str] = []
        #: Each chart's title and the last text drawn for it: its caption, else its SVG's last label.
        self.charts: list[tuple[str, str]] = []
        self._tag: str | None = None
        self._text: list[str] = []
        self._figure: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "figure":
            self._figure = []
        if tag in ("h2", "h3", "figcaption", "text"):
            self._tag, self._text = tag, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure" and self._figure is not None:
            self.charts.append((self.h3[-1], self._figure[-1]))
            self._figure = None
        if tag != self._tag:
            return
        text = " ".join("".join(self._text).split())
        if tag == "h2":
            self.h2.append(text)
        elif tag == "h3":
            self.h3.append(text)
        elif self._figure is not None and text:
            self._figure.append(text)
        self._tag = None

    def handle_data(self, data: str) -> None:
        if self._tag:
            self._text.append(data)


def outline() -> _Outline:
    text = report_html.render(sample_result())
    # the customers' detail blocks are not printed
    printed = re.sub(r'<section class="block" id="customers">.*?</section>\n', "", text, flags=re.S)
    parser = _Outline()
    parser.feed(printed)
    return parser


def test_the_pdf_is_a4_landscape_with_a_bounded_number_of_pages(pdf):
    info = pdfinfo(pdf)
    width, height = (float(v) for v in re.findall(r"[\d.]+", info["Page size"])[:2])
    assert (width, height) == pytest.approx(A4_LANDSCAPE, abs=1)
    # 300 customers with 924 actions: 41 pages with the print stylesheet (the unstyled
    # print ran to 95 A4 landscape pages, 107 Letter portrait), 76 with an action list per
    # account manager as well. The bounds leave room for content, not for losing the print
    # layout (which the tests below check page by page).
    assert 15 <= int(info["Pages"]) <= 100
    assert info["Title"] == re.search(r"<title>(.*?)</title>", report_html.render(sample_result())).group(1)
    assert info["CreationDate"].startswith(DEMO_AS_OF.isoformat())
    assert info["ModDate"].startswith(DEMO_AS_OF.isoformat())


def test_every_page_renders_and_none_is_blank(pdf, tmp_path):
    pages = int(pdfinfo(pdf)["Pages"])
    subprocess.run(["pdftoppm", "-r", "30", "-gray", str(pdf), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.pgm"))
    assert len(images) == pages
    for image in images:
        header, pixels = _pgm(image.read_bytes())
        width, height = header
        assert width > height  # landscape
        body = pixels[: width * int(height * 0.85)]  # above the page number
        assert sum(1 for value in body if value < 160) > 100, f"{image.name} is blank"


def _pgm(data: bytes) -> tuple[tuple[int, int], bytes]:
    magic, width, height, _depth, pixels = data.split(maxsplit=4)
    assert magic == b"P5"
    return (int(width), int(height)), pixels


def test_each_section_starts_a_page_and_no_heading_is_left_at_a_page_bottom(pdf):
    found, height = lines(pdf)
    content = [line for line in found if line.bottom < height - BOTTOM_MARGIN]
    first = {}
    for line in content:
        first.setdefault(line.page, line)
    parts = outline()
    sections = parts.h2[1:]  # the first section shares the first page with the title banner
    assert {"Segmentation", "Recommended actions"} <= set(sections)
    for title in sections:
        assert any(line.text == title for line in first.values()), f"section {title!r} does not start a page"
    checked = 0
    for title in parts.h3:
        for heading in (line for line in content if line.text == title):
            below = [line for line in content if line.page == heading.page and line.top > heading.bottom]
            assert below, f"heading {title!r} is alone at the bottom of page {heading.page}"
            checked += 1
    assert checked >= len(set(parts.h3)) - 1  # every block title is printed (and was checked)


def test_every_chart_is_on_one_page_with_its_title(pdf):
    found, _height = lines(pdf)
    charts = outline().charts
    assert len(charts) >= 4
    for title, last in charts:
        start = next(index for index, line in enumerate(found) if line.text == title)
        # the chart's last text (caption or legend) as it first appears after the title
        end = next(line for line in found[start + 1:] if last.startswith(line.text[:40]) or last in line.text)
        assert found[start].page == end.page, f"chart {title!r} starts on page {found[start].page}, ends on {end.page}"


def test_printing_again_gives_the_same_bytes(pdf, tmp_path):
    assert demo_pdf(tmp_path / "again.pdf").read_bytes() == pdf.read_bytes()

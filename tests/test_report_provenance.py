"""Every report format says which plugin produced each section, and shows plugin errors."""

from __future__ import annotations

import io

import openpyxl
import pytest

import clientwise
from clientwise import hookimpl
from clientwise.plugins.reports import html as report_html
from clientwise.plugins.reports import md as report_md
from clientwise.plugins.reports.xlsx import XlsxWriter
from clientwise.sample import DEMO_AS_OF, demo_path
from clientwise.sdk.testing import isolated_host, make_plugin

LINE = "segmentation: plugin segmentation (clientwise {version})".format(version=clientwise.__version__)


@pytest.fixture(scope="module")
def result() -> clientwise.Result:
    return clientwise.evaluate("default", demo_path(), as_of=DEMO_AS_OF)


@pytest.fixture(scope="module")
def faulty() -> clientwise.Result:
    def explode(context, result):  # type: ignore[no-untyped-def]
        raise RuntimeError("the <b>after</b> hook broke")

    plugin = make_plugin(clientwise_after_evaluate=hookimpl(explode))
    host = isolated_host(plugin)
    return clientwise.evaluate("default", demo_path(), as_of=DEMO_AS_OF, host=host)


def test_markdown_lists_the_producer_of_each_section(result: clientwise.Result) -> None:
    text = report_md.render(result)
    assert "**Produced by**" in text and text.index("**Produced by**") > text.index("## Recommended actions")
    assert f"- {LINE}" in text
    assert "- derive: core (clientwise" in text
    assert "## Plugin errors" not in text


def test_html_shows_provenance_and_escaped_plugin_errors(result: clientwise.Result, faulty: clientwise.Result) -> None:
    page = report_html.render(result)
    assert 'id="provenance"' in page and LINE in page
    assert 'id="plugin-errors"' not in page
    assert faulty.faults, "the failing after-evaluate hook must be recorded as a fault"
    broken = report_html.render(faulty)
    assert 'id="plugin-errors"' in broken
    assert "the &lt;b&gt;after&lt;/b&gt; hook broke" in broken
    assert "the <b>after</b> hook broke" not in broken


def test_xlsx_ruleset_sheet_lists_the_producers(result: clientwise.Result) -> None:
    stream = io.BytesIO()
    XlsxWriter().write(result, stream)
    sheet = openpyxl.load_workbook(io.BytesIO(stream.getvalue()))["Ruleset"]
    rows = [(row[0].value, row[1].value) for row in sheet.iter_rows(min_row=2)]
    assert ("produced by", LINE) in rows

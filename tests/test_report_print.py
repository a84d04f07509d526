"""The printed report without a browser: paper sizes, the ``@page`` rule, writer options and
the PDF writer's errors (the pages themselves are checked in ``test_report_pdf.py``)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from report_inputs import sample_result

from clientwise.errors import InputError
from clientwise.plugins.reports import html as report_html
from clientwise.plugins.reports.pdf import BROWSER_VARIABLE, PdfWriter, find_chromium, fixed_dates
from clientwise.plugins.reports.printing import PAPERS, css_string, find_paper, page_css


def style(document: str) -> str:
    return re.search(r"<style>(.*?)</style>", document, re.S).group(1)


def test_the_report_prints_landscape_on_the_chosen_paper_with_title_and_page_numbers():
    result = sample_result()
    css = style(report_html.render(result))
    assert "@page{size:landscape;" in css  # the print dialog's paper
    assert 'content:counter(page) " / " counter(pages)' in css
    assert "@media print{" in css and "break-before:page" in css and "display:table-header-group" in css
    letter = style(report_html.render(result, paper=PAPERS["letter"]))
    assert "@page{size:letter landscape;" in letter
    assert "@page{size:A4 landscape;" in style(report_html.render(result, paper=find_paper(" A4 ")))


def test_the_content_security_policy_covers_the_print_styles():
    document = report_html.render(sample_result(), paper=PAPERS["a3"])
    policy = re.search(r'Content-Security-Policy" content="([^"]+)"', document).group(1)
    assert policy == report_html.content_security_policy(style(document), re.search(
        r"<script>(.*?)</script>", document, re.S).group(1))


def test_a_title_cannot_break_out_of_the_css_string_or_the_style_element():
    hostile = 'Acme "GmbH" </style><script>alert(1)</script> \\ \n'
    text = css_string(hostile)
    assert text.startswith('"') and text.endswith('"') and '"' not in text[1:-1]
    assert "<" not in text and "\\\n" not in text and "\n" not in text
    assert re.fullmatch(r'"[^"<>\n]*"', text)
    assert r"\00003c" in text  # '<' escaped as CSS reads it
    assert "@bottom-left{content:" + text in page_css(hostile)


@pytest.mark.parametrize(("name", "message"), [("a5", "use one of: a4, a3, letter, legal"), ("leter", "did you mean 'letter'?")])
def test_an_unknown_paper_is_a_clear_error(name, message):
    with pytest.raises(InputError) as caught:
        find_paper(name)
    problem = caught.value.problems[0]
    assert problem.location == "--paper" and problem.value == name and message in problem.hint


def test_paper_on_the_command_line(invoke, tmp_path):
    report = tmp_path / "report.html"
    run = invoke("demo", "-o", str(report), "--paper", "letter")
    assert run.code == 0, run.output
    assert "@page{size:letter landscape;" in report.read_text(encoding="utf-8")
    run = invoke("demo", "-o", str(tmp_path / "out.csv"), "--paper", "a4")
    assert run.code == 2
    assert "--paper does not apply to the csv format" in run.stderr
    assert "--format html or pdf or xlsx" in run.stderr
    run = invoke("demo", "-o", str(tmp_path / "out.html"), "--paper", "a5")
    assert run.code == 2 and "unknown paper size 'a5'" in run.stderr
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "out.html").exists()


def test_pdf_without_a_browser_stops_before_evaluating_and_says_how_to_install_one(invoke, tmp_path, monkeypatch):
    monkeypatch.delenv(BROWSER_VARIABLE, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no chromium, chrome, ... on it
    target = tmp_path / "report.pdf"
    run = invoke("demo", "-o", str(target))
    assert run.code == 2
    assert "PDF output needs Chromium" in run.stderr and "apt-get install chromium" in run.stderr
    assert "warning:" not in run.stderr  # refused before the evaluation ran
    assert not target.exists()


def test_a_browser_named_by_the_environment_must_exist(monkeypatch, tmp_path):
    monkeypatch.setenv(BROWSER_VARIABLE, str(tmp_path / "no-such-browser"))
    with pytest.raises(InputError) as caught:
        find_chromium()
    assert caught.value.problems[0].location == BROWSER_VARIABLE
    assert find_chromium({BROWSER_VARIABLE: "sh"}).endswith("/sh")


def test_a_browser_that_fails_to_print_writes_nothing(invoke, tmp_path):
    target = tmp_path / "report.pdf"
    run = invoke("demo", "-o", str(target), env={BROWSER_VARIABLE: "false"})
    assert run.code == 2
    assert "Chromium could not print the report: it exited with 1" in run.stderr
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_the_pdf_dates_become_the_as_of_date_without_moving_any_byte():
    data = (b"%PDF-1.4\n1 0 obj\n<</Title (x)\n/CreationDate (D:20261203121908+00'00')\n"
            b"/ModDate (D:20261203121909+00'00')>>\nendobj\nxref\n")
    fixed = fixed_dates(data, dt.date(2026, 6, 30))
    assert len(fixed) == len(data)
    assert fixed.count(b"(D:20260630000000+00'00')") == 2
    assert fixed_dates(fixed, dt.date(2026, 6, 30)) == fixed


def test_pdf_is_refused_on_a_terminal():
    class Terminal:
        def isatty(self) -> bool:
            return True

    with pytest.raises(InputError, match="cannot be shown in the terminal"):
        PdfWriter(browser="unused").write(sample_result(), Terminal())  # type: ignore[arg-type]

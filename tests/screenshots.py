"""Refresh the report screenshots in docs/ (``make screenshots``).

Renders the sample portfolio's HTML report in English and, presented to a German
client, in German, opens each in headless Chromium (the browser test's driver) and
saves the first screen and the charts. Deterministic input; the images change only
when the report's look does.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from browser import Browser, chromium_path  # noqa: E402
from report_inputs import german_result, sample_result  # noqa: E402

from clientwise.plugins.reports import html as report_html  # noqa: E402

DOCS = Path(__file__).resolve().parents[1] / "docs"


def main() -> None:
    executable = chromium_path()
    if executable is None:
        raise SystemExit("no Chromium: apt-get install chromium")
    work = Path(DOCS / ".screenshots")
    work.mkdir(exist_ok=True)
    try:
        for name, result in (("report", sample_result()), ("report-de", german_result())):
            page = work / f"{name}.html"
            page.write_text(report_html.render(result), encoding="utf-8")
            with Browser(executable, width=1280, height=1500) as browser:
                browser.open(page)
                browser.screenshot(DOCS / f"{name.replace('report', 'report-overview')}.png")
                if name == "report":
                    browser.evaluate("document.getElementById('profit-by-tier').previousElementSibling.scrollIntoView(); window.scrollBy(0, -80)")
                    browser.screenshot(DOCS / "report-charts.png")
    finally:
        for file in work.iterdir():
            file.unlink()
        work.rmdir()


if __name__ == "__main__":
    main()

"""The RFM plugin on data nobody here made: CDNOW (shipped by `lifetimes`), checked against
lifetimes' own customer summary, plus hand-checked scores and segments on a small portfolio."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import polars as pl
import pytest

import clientwise_rfm
from clientwise.sdk.testing import assert_plugin_valid

CDNOW_END = "1998-06-30"

CDNOW_RULESET = """
schema = 1

[metadata]
name = "cdnow-rfm"

[data]
key = "customer_id"
name = "customer_id"

[data.customers.fields]
customer_id = { type = "string", required = true, nullable = false }

[data.interactions.fields]
customer_id = { type = "string", required = true, nullable = false }
date = { type = "date", required = true, nullable = false }
amount = { type = "number", required = true }

[rfm]
orders = "true"
"""


@pytest.fixture(scope="module")
def cdnow() -> pl.DataFrame:
    """The CDNOW master file (69,659 purchases by 23,570 customers, 1997-01 .. 1998-06)."""
    # read the file directly: lifetimes.datasets imports pkg_resources, gone from current setuptools
    spec = importlib.util.find_spec("lifetimes")
    assert spec is not None and spec.submodule_search_locations
    text = (Path(spec.submodule_search_locations[0]) / "datasets" / "CDNOW_master.txt").read_text()
    rows = [line.split() for line in text.splitlines()[1:] if line.strip()]
    assert len(rows) == 69_659
    return pl.DataFrame(
        {"customer_id": [r[0] for r in rows], "date": [f"{r[1][:4]}-{r[1][4:6]}-{r[1][6:]}" for r in rows],
         "amount": [r[3] for r in rows]},
        schema={"customer_id": pl.String, "date": pl.String, "amount": pl.String},
    )


def test_the_plugin_is_valid() -> None:
    assert_plugin_valid(clientwise_rfm)


# lifetimes 0.11.3 sets a pandas option that pandas 3 deprecates, on import
@pytest.mark.filterwarnings("ignore:The 'mode.chained_assignment' option is deprecated")
def test_recency_frequency_monetary_match_lifetimes_on_cdnow(cdnow, register_plugin, evaluate_records) -> None:
    import pandas as pd
    from lifetimes.utils import summary_data_from_transaction_data

    register_plugin(clientwise_rfm, name="rfm")
    customers = [{"customer_id": key} for key in cdnow["customer_id"].unique().sort().to_list()]
    result = evaluate_records(CDNOW_RULESET, customers=customers, interactions=cdnow.to_dicts(), as_of=CDNOW_END)
    ours = result.customers.select("customer_id", "rfm_recency_days", "rfm_frequency", "rfm_monetary", "rfm_segment")
    assert ours.height == 23_570

    transactions = cdnow.to_pandas()
    transactions["date"] = pd.to_datetime(transactions["date"])
    transactions["amount"] = transactions["amount"].astype(float)
    theirs = summary_data_from_transaction_data(
        transactions, "customer_id", "date", monetary_value_col="amount",
        observation_period_end=CDNOW_END, include_first_transaction=True,
    )
    # lifetimes: frequency = purchase days (with the first), recency = first to last purchase,
    # T = first purchase to the end, monetary_value = mean spend per purchase day.
    expected = pl.DataFrame({
        "customer_id": theirs.index.astype(str).tolist(),
        "recency": (theirs["T"] - theirs["recency"]).round().astype(int).tolist(),
        "frequency": theirs["frequency"].round().astype(int).tolist(),
        "monetary": (theirs["monetary_value"] * theirs["frequency"]).tolist(),
    })
    joined = ours.join(expected, on="customer_id", how="full", coalesce=True)
    assert joined.height == 23_570
    assert joined["rfm_recency_days"].to_list() == joined["recency"].to_list()
    assert joined["rfm_frequency"].to_list() == joined["frequency"].to_list()
    difference = (joined["rfm_monetary"] - joined["monetary"]).abs().max()
    assert difference is not None and difference < 1e-6
    # spot values anyone can recompute from the file: customer 00003 bought on 6 days, last 1998-05-28
    row = joined.filter(pl.col("customer_id") == "00003").row(0, named=True)
    assert (row["rfm_recency_days"], row["rfm_frequency"]) == ((dt.date(1998, 6, 30) - dt.date(1998, 5, 28)).days, 6)
    segments = dict(result.summary("rfm").tables["segments"].select("segment", "customers").iter_rows())
    assert sum(segments.values()) == 23_570 and "no_purchases" not in segments


RULESET = """
schema = 1

[metadata]
name = "small-rfm"

[data]
key = "customer_id"
name = "name"

[data.customers.fields]
customer_id = { type = "string", required = true, nullable = false }
name = { type = "string" }

[data.interactions.fields]
customer_id = { type = "string", required = true, nullable = false }
date = { type = "date", required = true, nullable = false }
type = { type = "string", required = true }
amount = { type = "number" }

[rfm]
bins = 2
segments = [{ name = "best", when = "rfm_r == 2 and rfm_f == 2 and rfm_m == 2" }, { name = "slipping", when = "rfm_r == 1" }]
"""


def test_scores_segments_outputs_and_report_on_a_small_portfolio(register_plugin, evaluate_records) -> None:
    register_plugin(clientwise_rfm, name="rfm")
    orders = [("A", "2026-06-20", 500), ("A", "2026-05-01", 300), ("A", "2026-05-01", 100),
              ("B", "2026-01-10", 50), ("C", "2026-06-29", 20), ("C", "2026-02-01", 40)]
    interactions = [{"customer_id": c, "date": d, "type": "order", "amount": a} for c, d, a in orders]
    interactions.append({"customer_id": "D", "date": "2026-06-01", "type": "visit", "amount": None})
    customers = [{"customer_id": k, "name": f"Customer {k}"} for k in "ABCD"]
    result = evaluate_records(RULESET, customers=customers, interactions=interactions, as_of="2026-06-30")
    table = {row["customer_id"]: row for row in result.customers.iter_rows(named=True)}
    assert {k: (v["rfm_recency_days"], v["rfm_frequency"], v["rfm_monetary"]) for k, v in table.items()} == {
        "A": (10, 2, 900.0), "B": (171, 1, 50.0), "C": (1, 2, 60.0), "D": (None, 0, 0.0)}
    # bins = 2: ntile = ceil(rank * 2 / 3) over the 3 buyers, score = 3 - ntile.
    # recency ranks C (1 day) 1, A (10) 2, B (171) 3 -> C 2, A 1, B 1;
    # frequency A, C tie at rank 1 -> 2, B -> 1; monetary A 900 -> 2, C 60 -> 1, B 50 -> 1.
    assert {k: v["rfm_code"] for k, v in table.items()} == {"A": "122", "B": "111", "C": "221", "D": None}
    assert {k: v["rfm_segment"] for k, v in table.items()} == {
        "A": "slipping", "B": "slipping", "C": "other", "D": "no_purchases"}
    summary = result.summary("rfm")
    assert summary.figures == {"customers_with_purchases": 3, "champions_share": 0.0, "at_risk": 0}
    assert summary.tables["segments"].rows() == [("slipping", 2, 0.5), ("no_purchases", 1, 0.25), ("other", 1, 0.25)]
    assert result.provenance["rfm"] == {"plugin": "rfm", "distribution": None, "version": None}
    trace = {rule.rule: rule.status for rule in result.explain("A").rules if rule.decision == "rfm_segment"}
    assert trace == {"no_purchases": "not_met", "best": "not_met", "slipping": "fired"}


def test_the_installed_distribution_is_discovered_and_reported_with_its_version() -> None:
    from clientwise.sdk import build_host

    # deliberately the plugins installed on this machine (the other tests register the
    # plugin into an isolated host); environ={}: a CLIENTWISE_*_PLUGINS setting of the shell
    # must not switch it off
    host = build_host(environ={})
    assert "rfm" in host.sections()
    assert host.origin("rfm") == ("clientwise-rfm", "0.1.0")
    assert host.owner("ruleset section", "rfm") == "rfm"

"""Hand-written polars baseline: everything the default ruleset computes, no framework.

What a competent analyst would write directly in polars to reproduce
``rulesets/default.toml`` over the sample portfolio: the ``[derive]`` fields (latest
visits and meetings, roadmap counts and shares over the last six months), the
rank-based 10/30/60 tiers with data overrides, the 20-question checklist for the top
10, profitability (cost drivers, profit, value classes, support abuse), relationship
health (roles covered, active threads, budget contact, map review, average strength,
bands) and the fifteen action rules with their rendered ``because`` texts (the three
trend rules read earlier runs; without history they never fire, so they are left
out). ``bench_evaluate.py`` checks its tables equal to clientwise's, customer by
customer and action by action, and reports clientwise's derive+decide time as a
multiple of this one's compute time.

Run: ``python bench/baseline_default.py DATA_DIR --as-of 2026-06-30 --out PREFIX``
writes ``PREFIX.customers.parquet`` and ``PREFIX.actions.parquet`` and prints one line
of JSON with the timings and peak memory of this process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

import polars as pl
from baseline import peak_memory_mb  # bench/ is the script's folder, so on the path

KEY = "customer_id"
TIERS = (("strategic", 0.10), ("core", 0.30))
LAST_TIER = "transactional"
ALL_TIERS = ["strategic", "core", "transactional"]
TOP = ["strategic", "core"]
#: interaction type -> (driver id, unit cost), in the ruleset's order
DRIVERS = {"support_call": ("support_calls", 25.0), "order": ("orders", 15.0), "visit": ("visits", 150.0),
           "return": ("returns", 40.0)}
REQUIRED_ROLES = ("budget", "gatekeeper", "user")
ROLES = (*REQUIRED_ROLES, "coach")
MISSING = "no data"


def months_since(date: pl.Expr, as_of: dt.date) -> pl.Expr:
    """Whole months from ``date`` to ``as_of`` (a month counts once its day is reached)."""
    return ((as_of.year - date.dt.year().cast(pl.Int64)) * 12 + (as_of.month - date.dt.month().cast(pl.Int64))
            - (date.dt.day() > as_of.day).cast(pl.Int64))


def divide(a: pl.Expr, b: pl.Expr | float) -> pl.Expr:
    """``a / b`` correctly rounded in every row. polars divides a column by a single value
    by multiplying with its reciprocal (``x / 365`` differs from Python's in the last
    bit for some ``x``); a column of zeros added to ``b`` makes every row a division."""
    return a / (b + pl.int_range(pl.len()).cast(pl.Float64) * 0.0)


def days_since(date: pl.Expr, as_of: dt.date) -> pl.Expr:
    return (pl.lit(as_of) - date).dt.total_days()


def questions(as_of: dt.date) -> dict[str, pl.Expr]:
    c = pl.col
    return {
        "management_knows_top": c("management_knows_top"),
        "marketing_knows_top": c("marketing_knows_top"),
        "service_knows_top": c("service_knows_top"),
        "sponsor_assigned": c("executive_sponsor").is_not_null(),
        "sponsor_visited": c("last_sponsor_visit").is_not_null() & (days_since(c("last_sponsor_visit"), as_of) <= 90),
        "competitor_known": c("competitor_pilot").is_not_null(),
        "renewal_process": c("renewal_process"),
        "competitive_response": c("competitive_response_process"),
        "pricing_discussed": c("last_pricing_discussion").is_not_null()
        & (months_since(c("last_pricing_discussion"), as_of) < 6),
        "roadmap_shared": c("roadmap_meetings_6m") >= 1,
        "roadmap_listened": c("roadmap_listen_share_6m") > 0.5,
        "roadmap_led_by_product": c("roadmap_product_led_share_6m") >= 0.5,
        "requirements_list": c("requirements_list"),
        "requirements_delivered": c("requirements_delivered_6m") >= 1,
        "newsletter_reach": c("newsletter_recipients") >= 3,
        "news_preference_known": c("news_preference_known"),
        "channels_available": c("channels_available"),
        "execs_follow_channels": c("execs_follow_channels"),
        "satisfaction_known": c("satisfaction_score").is_not_null(),
        "satisfaction_tool": c("satisfaction_tool"),
    }


def interaction_figures(interactions: pl.LazyFrame, as_of: dt.date) -> pl.LazyFrame:
    """Per customer: latest meetings, six-month roadmap figures, twelve-month cost driver counts."""
    c = pl.col
    roadmap_6m = (c("type") == "roadmap_meeting") & (months_since(c("date"), as_of) < 6)
    recent = days_since(c("date"), as_of) <= 365
    figures = interactions.group_by(KEY).agg(
        c("date").filter((c("type") == "visit") & c("by_sponsor") & (c("channel") == "in_person"))
        .max().alias("last_sponsor_visit"),
        c("date").filter(c("type") == "pricing_discussion").max().alias("last_pricing_discussion"),
        c("date").filter(c("type") == "roadmap_meeting").max().alias("last_roadmap_meeting"),
        roadmap_6m.sum().cast(pl.Int64).alias("roadmap_meetings_6m"),
        (roadmap_6m & (c("led_by") == "product")).sum().cast(pl.Int64).alias("roadmap_product_led_6m"),
        c("listen_share").filter(roadmap_6m).mean().alias("roadmap_listen_share_6m"),
        ((c("type") == "requirement_delivered") & (months_since(c("date"), as_of) < 6)).sum().cast(pl.Int64)
        .alias("requirements_delivered_6m"),
        *(((c("type") == kind) & recent).sum().cast(pl.Int64).alias(f"count_{driver}")
          for kind, (driver, _) in DRIVERS.items()),
    )
    peak = (interactions.filter((c("type") == "support_call") & recent)
            .group_by(KEY, "date").len()
            .group_by(KEY).agg(c("len").max().cast(pl.Int64).alias("support_calls_peak_day")))
    return figures.join(peak, on=KEY, how="left")


def contact_figures(contacts: pl.LazyFrame, as_of: dt.date) -> pl.LazyFrame:
    """Per customer: strongest covered contact per role, active threads, average strength, budget contact."""
    c = pl.col
    role = c("role").str.to_lowercase()
    covered = c("covered_by").is_not_null()
    return contacts.group_by(KEY).agg(
        *(c("strength").filter((role == name) & covered).max().alias(f"role_{name}_strength") for name in ROLES),
        ((c("strength") >= 2) & covered & (days_since(c("last_contact"), as_of) <= 90)).sum().cast(pl.Int64)
        .alias("active_threads"),
        c("strength").mean().alias("average_strength"),
        c("last_contact").filter(role == "budget").max().alias("budget_last_contact"),
    )


def evaluate(customers: pl.DataFrame, contacts: pl.DataFrame, interactions: pl.DataFrame,
             as_of: dt.date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The customers table (clientwise's output columns and action lists) and the actions table."""
    c = pl.col
    frame = (customers.lazy()
             .join(interaction_figures(interactions.lazy(), as_of), on=KEY, how="left")
             .join(contact_figures(contacts.lazy(), as_of), on=KEY, how="left")
             .with_columns(c("roadmap_meetings_6m", "roadmap_product_led_6m", "requirements_delivered_6m",
                             "active_threads", "support_calls_peak_day",
                             *(f"count_{driver}" for driver, _ in DRIVERS.values())).fill_null(0))
             .sort(KEY))
    # segmentation: rank by revenue, largest first, ties share the best rank; overrides from the data
    ranked = c("revenue").count()
    cutoff = pl.lit(0, pl.Int64)
    by_rank = pl.when(c("segment_rank").is_null()).then(pl.lit(LAST_TIER))
    for tier, share in TIERS:
        cutoff = cutoff + pl.max_horizontal(pl.lit(1), (ranked * share).round(9).ceil().cast(pl.Int64))
        by_rank = by_rank.when(c("segment_rank") <= cutoff).then(pl.lit(tier))
    expired = c("tier_override_expires").is_not_null() & (days_since(c("tier_override_expires"), as_of) > 0)
    override = c("tier_override").is_in(ALL_TIERS) & ~expired
    frame = frame.with_columns(
        segment_rank=c("revenue").rank("min", descending=True).cast(pl.Int64),
        roadmap_product_led_share_6m=pl.when(c("roadmap_meetings_6m") > 0)
        .then(c("roadmap_product_led_6m") / c("roadmap_meetings_6m")),
    ).with_columns(tier=pl.when(override).then(c("tier_override")).otherwise(by_rank.otherwise(pl.lit(LAST_TIER))))
    # checklist: the top 10 by revenue answer 20 questions; an empty answer is not applicable
    assessed = c("segment_rank") <= 10
    answers = {f"checklist_{q}": pl.when(assessed).then(answer) for q, answer in questions(as_of).items()}
    frame = frame.with_columns(**answers)
    score = pl.sum_horizontal(c(name).fill_null(False).cast(pl.Int64) for name in answers)
    answered = pl.sum_horizontal(c(name).is_not_null().cast(pl.Int64) for name in answers)
    frame = frame.with_columns(
        checklist_score=pl.when(assessed).then(score),
        checklist_answered=pl.when(assessed).then(answered),
    ).with_columns(checklist_pct=pl.when(c("checklist_answered") > 0)
                   .then((100 * c("checklist_score")).cast(pl.Float64) / c("checklist_answered")))
    # profitability: revenue x margin - cost to serve; value classes by profit rank
    costs = {f"cost_{driver}": c(f"count_{driver}") * unit for driver, unit in DRIVERS.values()}
    costs["cost_discounts"] = c("discounts").fill_null(0.0) * 1.0
    extra_days = pl.max_horizontal(pl.lit(0), c("payment_terms_days").fill_null(30) - 30)
    costs["cost_payment_terms"] = divide(c("revenue") * extra_days, 365) * 0.08
    cost_to_serve = c("cost_support_calls")
    for name in list(costs)[1:]:
        cost_to_serve = cost_to_serve + c(name)
    frame = frame.with_columns(**costs).with_columns(cost_to_serve=cost_to_serve).with_columns(
        profit=c("revenue") * c("gross_margin") - c("cost_to_serve"))
    rank_pct = divide(c("profit").rank("min", descending=True).cast(pl.Int64), c("profit").count())
    frame = frame.with_columns(
        profit_margin=pl.when(c("revenue") > 0).then(c("profit") / c("revenue")),
        value_class=pl.when((rank_pct <= 0.2) & (c("profit") > 0)).then(pl.lit("value_creator"))
        .when(c("profit") < 0).then(pl.lit("value_destroyer"))
        .when(c("profit").is_not_null()).then(pl.lit("neutral")),
        support_abuse=c("support_calls_peak_day") >= 35,
    )
    # relationship health: a 100-point scorecard of five measures
    covered = {role: c(f"role_{role}_strength").fill_null(0) >= 2 for role in REQUIRED_ROLES}
    roles_covered = pl.sum_horizontal(flag.cast(pl.Int64) for flag in covered.values())
    missing = pl.concat_str([pl.when(~flag).then(pl.lit(role)) for role, flag in covered.items()],
                            separator=", ", ignore_nulls=True)
    points = ((pl.when(c("roles_covered") == 3).then(30).otherwise(0)
               + pl.when(c("active_threads") >= 2).then(20).otherwise(0)
               + pl.when(days_since(c("budget_last_contact"), as_of) <= 90).then(20).otherwise(0)
               + pl.when(days_since(c("relationship_map_reviewed"), as_of) <= 92).then(10).otherwise(0))
              .cast(pl.Float64) + divide(c("average_strength"), 4).fill_null(0.0) * 20)
    frame = frame.with_columns(roles_covered=roles_covered, missing_roles_text=missing).with_columns(
        missing_roles=pl.when(c("missing_roles_text") == "").then(pl.lit([], pl.List(pl.String)))
        .otherwise(c("missing_roles_text").str.split(", ")),
        health_score=divide(100.0 * points, 100),
    ).with_columns(health_band=pl.when(c("health_score") <= 50).then(pl.lit("red"))
                   .when(c("health_score") <= 75).then(pl.lit("yellow"))
                   .when(c("health_score").is_not_null()).then(pl.lit("green")))
    evaluated = frame.collect()
    actions = actions_table(evaluated, as_of)
    lists = actions.group_by(KEY, maintain_order=True).agg(c("rule").alias("actions"))
    output = evaluated.select(OUTPUT_COLUMNS).join(lists, on=KEY, how="left", maintain_order="left") \
        .with_columns(c("actions").fill_null(pl.lit([], pl.List(pl.String))))
    return output, actions


OUTPUT_COLUMNS = [
    "customer_id", "name", "revenue", "industry", "region", "account_manager", "tier", "segment_rank",
    "checklist_score", "checklist_pct", "checklist_answered",
    *(f"checklist_{q}" for q in (
        "management_knows_top", "marketing_knows_top", "service_knows_top", "sponsor_assigned", "sponsor_visited",
        "competitor_known", "renewal_process", "competitive_response", "pricing_discussed", "roadmap_shared",
        "roadmap_listened", "roadmap_led_by_product", "requirements_list", "requirements_delivered",
        "newsletter_reach", "news_preference_known", "channels_available", "execs_follow_channels",
        "satisfaction_known", "satisfaction_tool")),
    "cost_to_serve", "profit", "profit_margin", "value_class", "support_abuse",
    *(f"cost_{driver}" for driver in ("support_calls", "orders", "visits", "returns", "discounts", "payment_terms")),
    "health_score", "health_band", "missing_roles", "roles_covered", "active_threads",
]


# -- actions -------------------------------------------------------------------------


def _round_half_away(x: pl.Expr) -> pl.Expr:
    t = pl.when(x >= 0).then(x.floor()).otherwise(x.ceil())
    return t + pl.when((x - t).abs() >= 0.5).then(x.sign()).otherwise(0.0)


def _number(x: pl.Expr, decimals: int, power: int, suffix: str = "") -> pl.Expr:
    """en-GB digits: thousands grouped with commas, ``decimals`` after the point, minus sign."""
    units = _round_half_away(x.cast(pl.Float64).abs() * (10.0 ** power)).cast(pl.Int64, strict=False)
    whole = (units // 10**decimals).cast(pl.String).str.reverse().str.replace_all(r"(\d{3})", "$1,") \
        .str.strip_suffix(",").str.reverse()
    body = pl.concat_str([whole, pl.lit("."), (units % 10**decimals).cast(pl.String).str.zfill(decimals)]) \
        if decimals else whole
    sign = pl.when((x < 0) & (units != 0)).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str([sign, body, pl.lit(suffix)]).fill_null(MISSING)


def money(x: pl.Expr) -> pl.Expr:
    return _number(x, 0, 0)


def percent(x: pl.Expr) -> pl.Expr:
    return _number(x, 1, 3, "%")


def text(x: pl.Expr) -> pl.Expr:
    return x.cast(pl.String).fill_null(MISSING)


def date(x: pl.Expr) -> pl.Expr:
    return x.dt.to_string("%d/%m/%Y").fill_null(MISSING)  # the en-GB short date


def rules(as_of: dt.date) -> list[tuple[str, str, int, pl.Expr, list[pl.Expr | str]]]:
    """(id, action, priority, when, because parts) of the default ruleset's action rules, in order."""
    c = pl.col
    top = c("tier").is_in(TOP)
    destroyer = c("value_class") == "value_destroyer"
    deep_loss = c("profit") < -0.25 * c("revenue")
    loss, revenue, cts = money(c("profit").abs()), money(c("revenue")), money(c("cost_to_serve"))
    return [
        ("retention_plan", "Build a retention plan: the customer is trying a competitor", 1, c("competitor_pilot"),
         ["The ", text(c("tier")), " customer piloted or expanded a competitor's product (revenue ", revenue, ")"]),
        ("assign_sponsor", "Assign an executive sponsor", 1, top & c("executive_sponsor").is_null(),
         ["No executive sponsor is assigned to this ", text(c("tier")), " customer"]),
        ("leadership_exit_review", "Review with leadership before any exit", 1,
         destroyer & (c("tier") == "strategic") & deep_loss,
         ["Strategic customer losing ", loss, " on revenue of ", revenue, " (", percent(c("profit_margin")),
          "); never exit a strategic customer without leadership"]),
        ("sponsor_visit", "Schedule an in-person visit by the executive sponsor", 2,
         top & c("executive_sponsor").is_not_null()
         & (c("last_sponsor_visit").is_null() | (days_since(c("last_sponsor_visit"), as_of) > 90)),
         ["No in-person visit by sponsor ", text(c("executive_sponsor")), " in the last 90 days (last visit: ",
          date(c("last_sponsor_visit")), ")"]),
        ("relationship_plan", "Build a relationship plan for the missing roles", 2,
         top & (3 - c("roles_covered") > 0),
         ["Required roles without a contact of strength 2+: ", text(c("missing_roles_text"))]),
        ("fix_support_root_cause", "Fix the root cause of the repeated support calls", 2, c("support_abuse"),
         [_number(c("support_calls_peak_day"), 0, 0), " support calls on a single day in the last 12 months "
          "(cost to serve ", cts, ")"]),
        ("consider_exit", "Consider letting the customer go", 2, destroyer & (c("tier") != "strategic") & deep_loss,
         ["Loses ", loss, " on revenue of ", revenue, ": more than 25% of revenue"]),
        ("reprice", "Reprice: raise prices or cut discounts to cover the cost to serve", 3,
         destroyer & (c("profit") >= -0.25 * c("revenue")),
         ["Loses ", loss, " on revenue of ", revenue, " (", percent(c("profit_margin")), "); cost to serve ", cts]),
        ("move_to_self_service", "Move to self-service channels (web shop, portal, fewer visits)", 3,
         destroyer & (c("tier") == "transactional"),
         ["Transactional customer losing ", loss, "; cost to serve ", cts, " on revenue of ", revenue]),
        ("multi_thread", "Multi-thread the account: build more active contacts", 3, top & (c("active_threads") < 2),
         ["Only ", _number(c("active_threads"), 0, 0),
          " active thread(s) (contacts of strength 2+ reached in the last 90 days)"]),
        ("pricing_discussion", "Open a pricing discussion", 3,
         top & (c("last_pricing_discussion").is_null() | (months_since(c("last_pricing_discussion"), as_of) >= 6)),
         ["No pricing discussion in the last 6 months (last: ", date(c("last_pricing_discussion")), ")"]),
        ("share_roadmap", "Share the product roadmap", 4,
         top & (c("last_roadmap_meeting").is_null() | (months_since(c("last_roadmap_meeting"), as_of) >= 6)),
         ["No roadmap meeting in the last 6 months (last: ", date(c("last_roadmap_meeting")), ")"]),
        ("measure_satisfaction", "Measure the customer's satisfaction", 4, c("satisfaction_score").is_null(),
         ["The satisfaction of this ", text(c("tier")), " customer is unknown"]),
        ("review_relationship_map", "Review the relationship map", 4,
         top & (c("relationship_map_reviewed").is_null()
                | (days_since(c("relationship_map_reviewed"), as_of) > 92)),
         ["The relationship map was not reviewed in the last 92 days (last review: ",
          date(c("relationship_map_reviewed")), ")"]),
        ("annual_review", "Hold the annual customer review", 5, c("tier") == "core",
         ["Every core customer gets an annual review (revenue ", revenue, ")"]),
    ]


def actions_table(frame: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """One row per fired rule: by customer (key order), priority, then rule order."""
    lazy = frame.lazy().with_row_index("row")
    parts = [
        lazy.filter(when).select(
            "row", KEY, "name", pl.lit(rule).alias("rule"), pl.lit(action).alias("action"),
            pl.lit(priority, pl.Int64).alias("priority"),
            pl.concat_str([pl.lit(p) if isinstance(p, str) else p for p in because]).alias("because"),
            pl.lit(order).alias("order"))
        for order, (rule, action, priority, when, because) in enumerate(rules(as_of))
    ]
    return pl.concat(parts).sort("row", "priority", "order").drop("row", "order").collect()


# -- running it ----------------------------------------------------------------------

CUSTOMER_COLUMNS = [
    "customer_id", "name", "industry", "region", "account_manager", "revenue", "gross_margin", "discounts",
    "payment_terms_days", "executive_sponsor", "tier_override", "tier_override_expires", "relationship_map_reviewed",
    "management_knows_top", "marketing_knows_top", "service_knows_top", "competitor_pilot", "renewal_process",
    "competitive_response_process", "requirements_list", "newsletter_recipients", "news_preference_known",
    "channels_available", "execs_follow_channels", "satisfaction_score", "satisfaction_tool",
]


def read(directory: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    customers = pl.read_parquet(directory / "customers.parquet", columns=CUSTOMER_COLUMNS)
    contacts = pl.read_parquet(directory / "contacts.parquet",
                               columns=[KEY, "role", "covered_by", "strength", "last_contact"])
    interactions = pl.read_parquet(directory / "interactions.parquet",
                                   columns=[KEY, "date", "type", "channel", "by_sponsor", "led_by", "listen_share"])
    return customers, contacts, interactions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="directory with customers, contacts and interactions as Parquet")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--out", type=Path, required=True, help="prefix of the two Parquet files to write")
    args = parser.parse_args()
    started, cpu = time.perf_counter(), time.process_time()
    tables = read(args.data)
    loaded, cpu_loaded = time.perf_counter(), time.process_time()
    customers, actions = evaluate(*tables, args.as_of)
    computed, cpu_computed = time.perf_counter(), time.process_time()
    customers.write_parquet(args.out.with_suffix(".customers.parquet"))
    actions.write_parquet(args.out.with_suffix(".actions.parquet"))
    print(json.dumps({
        "customers": customers.height,
        "actions": actions.height,
        "load": loaded - started,
        "compute": computed - loaded,
        "compute_cpu": cpu_computed - cpu_loaded,
        "total": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
        "peak_mb": peak_memory_mb(),
    }))


if __name__ == "__main__":
    main()

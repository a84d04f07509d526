"""The customers table of the sample portfolio.

Revenue is log-normal, so a few whales and a long tail appear as in real B2B books;
the size class (top 10 % / next 20 % / rest by revenue) then shapes how well each
customer is covered: sponsors, reviewed relationship maps and known answers are
common at the top and rare in the tail. A small, exact number of special cases
(value destroyers, tier overrides) appears in every portfolio however small.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import polars.selectors as cs

from clientwise.sample import vocab
from clientwise.sample.draws import (
    Draws,
    cents,
    choose,
    choose_by,
    choose_within,
    days_before,
    decimals,
    normal,
    pick,
    scaled_count,
    u,
)

BIG, MID, SMALL = 0, 1, 2

#: Checklist answers: field -> (chance of "yes" for big, mid, small customers, chance of blank).
ANSWERS: dict[str, tuple[tuple[float, float, float], float]] = {
    "management_knows_top": ((0.75, 0.40, 0.10), 0.10),
    "marketing_knows_top": ((0.50, 0.30, 0.05), 0.20),
    "service_knows_top": ((0.60, 0.35, 0.10), 0.20),
    "competitor_pilot": ((0.20, 0.15, 0.10), 0.45),
    "renewal_process": ((0.70, 0.50, 0.30), 0.15),
    "competitive_response_process": ((0.50, 0.30, 0.10), 0.20),
    "requirements_list": ((0.60, 0.30, 0.10), 0.15),
    "news_preference_known": ((0.50, 0.30, 0.10), 0.25),
    "channels_available": ((0.70, 0.60, 0.50), 0.20),
    "execs_follow_channels": ((0.40, 0.20, 0.05), 0.30),
    "satisfaction_tool": ((0.60, 0.40, 0.20), 0.15),
}

#: How often an override pins each tier (strategic, core, transactional).
OVERRIDE_WEIGHTS = (5, 3, 2)

_UNIFORMS = (
    "revenue_1", "revenue_2", "dormant", "destroyer", "deep", "margin_1", "margin_2", "margin_blank",
    "discount", "discount_kind", "terms", "industry", "region", "stem", "descriptor", "legal",
    "name_style", "partner", "manager", "sponsor", "sponsor_who", "override", "override_tier",
    "override_reason", "override_expiry", "map", "map_age", "newsletter", "survey", "score_1",
    "score_2", *ANSWERS,
)


def by_size(size: pl.Expr, big: float, mid: float, small: float) -> pl.Expr:
    return pl.when(size == BIG).then(big).when(size == MID).then(mid).otherwise(small)


def _answer(name: str, size: pl.Expr) -> pl.Expr:
    """A yes/no answer with blanks: the same uniform decides blank, then yes or no."""
    (big, mid, small), blank = ANSWERS[name]
    draw = u(name)
    yes = (draw - blank) / (1.0 - blank) < by_size(size, big, mid, small)
    return pl.when(draw < blank).then(None).otherwise(yes).alias(name)


def _names() -> pl.Expr:
    industries = [words for _, _, words in vocab.INDUSTRIES]
    legal = choose_within(u("legal"), pl.col("region_index"), [f for _, _, f in vocab.REGIONS])
    descriptor = choose_within(u("descriptor"), pl.col("industry_index"), industries)
    stem = choose(u("stem"), vocab.STEMS, [1] * len(vocab.STEMS))
    surname = choose(u("stem"), vocab.SURNAMES, [1] * len(vocab.SURNAMES))
    partner = choose(u("partner"), vocab.SURNAMES, [1] * len(vocab.SURNAMES))
    style = u("name_style")
    return (
        pl.when(style < 0.72)
        .then(pl.concat_str([stem, descriptor, legal], separator=" "))
        .when(style < 0.92)
        .then(pl.concat_str([surname, descriptor, legal], separator=" "))
        .otherwise(pl.concat_str([surname, pl.lit(", "), partner, pl.lit(" & Partner")]))
    )


def build(draws: Draws, n: int, as_of: dt.date) -> pl.DataFrame:
    """Customers with every declared field plus helper columns (prefixed ``_``) for related tables.

    ``_potential`` is what a customer buys when active: dormant customers (no revenue in
    the last twelve months) still have older orders of that size.
    """
    day = pl.lit(as_of, pl.Date)
    width = max(5, len(str(n)))
    frame = draws.frame("customers", n, _UNIFORMS).with_columns(
        _index=pl.int_range(n, dtype=pl.Int64),
        customer_id=pl.format("C{}", pl.int_range(1, n + 1).cast(pl.String).str.zfill(width)),
        _potential=cents((11.0 + 1.45 * normal(u("revenue_1"), u("revenue_2"))).exp()),
        _override=pick(u("override"), scaled_count(n, 0.015, 4)),
        industry_index=choose(
            u("industry"), range(len(vocab.INDUSTRIES)), [w for _, w, _ in vocab.INDUSTRIES]
        ),
        region_index=choose(u("region"), range(len(vocab.REGIONS)), [w for _, w, _ in vocab.REGIONS]),
    )
    frame = frame.with_columns(revenue=pl.when(u("dormant") < 0.01).then(0.0).otherwise(pl.col("_potential")))
    position = pl.col("revenue").rank("ordinal", descending=True)
    frame = frame.with_columns(
        _size=pl.when(position * 10 <= n).then(BIG).when(position * 10 <= 3 * n).then(MID).otherwise(SMALL)
    )
    size = pl.col("_size")
    # Value destroyers: a random few, plus the top-10% customer drawn first (a whale that
    # loses money). "Deep" ones lose more than a quarter of their revenue.
    whale = (size == BIG) & (u("destroyer").rank("ordinal").over("_size") == 1)
    frame = frame.with_columns(_destroyer=pick(u("destroyer"), scaled_count(n, 0.05, 3)) | whale)
    frame = frame.with_columns(_deep=whale | (pl.col("_destroyer") & (u("deep") < 0.4)))
    destroyer, deep = pl.col("_destroyer"), pl.col("_deep")
    margin = (0.31 + 0.09 * normal(u("margin_1"), u("margin_2"))).clip(0.04, 0.68)
    discount_rate = (
        pl.when(deep)
        .then(0.15 + 0.10 * u("discount"))
        .when(destroyer)
        .then(0.10 + 0.12 * u("discount"))
        .when(u("discount_kind") < 0.3)
        .then(0.0)
        .otherwise(0.07 * u("discount"))
    )
    terms = choose_by(
        u("terms"), destroyer.cast(pl.Int64), [14, 30, 45, 60, 90, 120],
        [[5, 45, 15, 20, 10, 5], [0, 5, 5, 20, 40, 30]],
    )
    sponsor = choose(u("sponsor_who"), vocab.EXECUTIVES, [1] * len(vocab.EXECUTIVES))
    override = pl.col("_override")
    tiers = list(vocab.OVERRIDE_REASONS)
    override_tier = choose(u("override_tier"), range(len(tiers)), OVERRIDE_WEIGHTS)
    reason = choose_within(u("override_reason") / 0.8, override_tier, [vocab.OVERRIDE_REASONS[t] for t in tiers])
    expiry = u("override_expiry")
    expires = (
        pl.when(expiry < 0.35)
        .then(days_before(day, 1 + (expiry / 0.35 * 300).floor()))
        .when(expiry < 0.8)
        .then(days_before(day, -30 - ((expiry - 0.35) / 0.45 * 370).floor()))
    )
    map_age = pl.when(size == BIG).then(u("map_age") * u("map_age")).otherwise(u("map_age"))  # big: mostly recent
    newsletter_max = by_size(size, 26.0, 11.0, 4.0)
    newsletter = u("newsletter")
    score = 7.3 + 1.5 * normal(u("score_1"), u("score_2")) - destroyer.cast(pl.Float64) * 1.5
    return frame.with_columns(
        name=_names(),
        industry=choose(u("industry"), [i for i, _, _ in vocab.INDUSTRIES], [w for _, w, _ in vocab.INDUSTRIES]),
        region=pl.when(u("dormant") > 0.99)
        .then(None)
        .otherwise(choose(u("region"), [r for r, _, _ in vocab.REGIONS], [w for _, w, _ in vocab.REGIONS])),
        account_manager=choose(
            u("manager"), [m for m, _ in vocab.ACCOUNT_MANAGERS], [w for _, w in vocab.ACCOUNT_MANAGERS]
        ),
        gross_margin=pl.when(deep)
        .then(decimals(-0.12 + 0.10 * u("margin_1"), 3))
        .when(destroyer)
        .then(decimals(-0.04 + 0.12 * u("margin_1"), 3))
        .when(u("margin_blank") < 0.02)
        .then(None)
        .otherwise(decimals(margin, 3)),
        discounts=pl.when(~destroyer & (u("margin_blank") > 0.97))
        .then(None)
        .otherwise(cents(pl.col("revenue") * discount_rate)),
        payment_terms_days=pl.when(~destroyer & (u("terms") > 0.98)).then(None).otherwise(terms),
        executive_sponsor=pl.when(u("sponsor") < by_size(size, 0.8, 0.35, 0.04)).then(sponsor),
        tier_override=pl.when(override).then(pl.lit(pl.Series(tiers)).gather(override_tier)),
        tier_override_reason=pl.when(override & (u("override_reason") < 0.8)).then(reason),  # 1 in 5 unexplained
        tier_override_expires=pl.when(override).then(expires),
        relationship_map_reviewed=pl.when(u("map") < by_size(size, 0.85, 0.5, 0.15)).then(
            days_before(day, (map_age * by_size(size, 500.0, 700.0, 900.0)).floor())
        ),
        newsletter_recipients=pl.when(newsletter < 0.1)
        .then(None)
        .otherwise(((newsletter - 0.1) / 0.9 * newsletter_max).floor().cast(pl.Int64)),
        satisfaction_score=pl.when(u("survey") < by_size(size, 0.75, 0.45, 0.3)).then(
            decimals(score.clip(0.0, 10.0), 1)
        ),
        **{name: _answer(name, size) for name in ANSWERS},
    ).drop(cs.starts_with("u_"), "industry_index", "region_index")

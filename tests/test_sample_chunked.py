"""The chunked sample generator: one Parquet file per table, chunks as portfolios of their own."""

from __future__ import annotations

import polars as pl

from clientwise.sample import generate
from clientwise.sample.chunked import write_chunked


def test_chunks_are_seeded_portfolios_with_chunk_numbered_keys(tmp_path) -> None:
    paths = write_chunked(250, tmp_path, chunk=100, seed=3)
    customers = pl.read_parquet(paths["customers"])
    assert customers.height == 250 and customers["customer_id"].is_sorted() and customers["customer_id"].n_unique() == 250
    second = generate(100, seed=4)["customers"]
    part = customers.filter(pl.col("customer_id").str.starts_with("K1-"))
    assert part.drop("customer_id").equals(second.drop("customer_id"))
    assert part["customer_id"].to_list()[:2] == ["K1-" + key for key in second["customer_id"].to_list()[:2]]
    contacts = pl.read_parquet(paths["contacts"])
    assert contacts["customer_id"].is_in(customers["customer_id"].implode()).all()
    assert pl.read_parquet(paths["interactions"]).schema == generate(10)["interactions"].schema

"""Benchmark: reading a German-format export against the same rows in canonical form.

    python bench/bench_parsing.py --rows 1000000 --repeat 3

Writes the same customers table three ways (cached in ``bench/out/parsing-*``):

* ``canonical``: UTF-8, ``,``, plain numbers (``132507.11``, ``0.088``), ISO dates,
  ``yes``/``no``: what the default ruleset reads as it is;
* ``german``: the German format: ``;``, ``132.507,11``, ``0,088``, ``31.12.2025`` and
  ``31.12.2025 14:05``, ``ja``/``nein``, ``-`` for unknown, in UTF-8;
* ``german-1252``: the same in Windows-1252, as German Excel saves "CSV" (names with
  umlauts), so every byte is converted to UTF-8 before polars reads it;
* ``decorated``: german, with every amount written ``€ 132.507,11`` and every margin
  ``8,8 %``: every such cell takes the second, slower reading.

and times loading and validating each (``load_tables`` + ``validate_tables``, what
``Evaluator.load`` does) with a ``[data]`` section that declares the format. The
values read are checked to be identical for all three, so the ratio compares equal
work. ``ratio`` = time / canonical time; the target is german <= 1.5x.
Each repeat reads the variants in turn, and the fastest of each is reported, so load
from other jobs on the machine hits all variants alike.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import time
from pathlib import Path

import polars as pl

from clientwise.plugins.io.loaders import clientwise_loaders
from clientwise.ruleset.data import DataConfig, FieldSpec, TableSpec
from clientwise.runtime.load import load_tables
from clientwise.runtime.validate import validate_tables

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
VERSION = 2  # bump when the generated files change
VARIANTS = ("canonical", "german", "german-1252", "decorated")
FIELDS = {
    "customer_id": FieldSpec(required=True, nullable=False),
    "name": FieldSpec(),
    "region": FieldSpec(),
    "revenue": FieldSpec(type="money", min=0),
    "gross_margin": FieldSpec(type="number", min=-1, max=1),
    "payment_terms_days": FieldSpec(type="integer", min=0),
    "satisfaction_score": FieldSpec(type="number"),
    "relationship_map_reviewed": FieldSpec(type="date"),
    "last_visit": FieldSpec(type="date"),
    "management_knows_top": FieldSpec(type="boolean"),
}
NAMES = ["Bäckerei Groß", "Öl & Söhne", "Müller Präzision", "Weiß Logistik", "Zeller Automotive", "Franke KG"]
REGIONS = ["Nord", "Süd", "Ost", "West"]


def german(x: float, decimals: int = 2) -> str:
    return f"{x:,.{decimals}f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def generate(rows: int) -> dict[str, Path]:
    """The three files (cached); returns variant -> directory."""
    folders = {variant: OUT / f"parsing-{VERSION}-{rows}-{variant}" for variant in VARIANTS}
    if all((folder / "customers.csv").exists() for folder in folders.values()):
        return folders
    rng = random.Random(7)
    canonical, plain_de, decorated = [], [], []
    header = list(FIELDS)
    base = dt.date(2020, 1, 1)
    for i in range(rows):
        revenue = round(rng.uniform(0, 5_000_000), 2)
        margin = round(rng.uniform(-0.2, 0.6), 3)
        terms = rng.choice([14, 30, 45, 60, 90])
        satisfaction = round(rng.uniform(0, 10), 1) if i % 7 else None
        reviewed = dt.datetime.combine(base + dt.timedelta(days=rng.randrange(2000)), dt.time(rng.randrange(24), 5))
        visit = base + dt.timedelta(days=rng.randrange(2000))
        knows = rng.choice([True, False, None])
        key, name, region = f"C{i:07d}", f"{rng.choice(NAMES)} {i}", rng.choice(REGIONS)
        canonical.append([key, name, region, repr(revenue), repr(margin), str(terms),
                          "" if satisfaction is None else repr(satisfaction), reviewed.date().isoformat(),
                          visit.isoformat(), {True: "yes", False: "no", None: ""}[knows]])
        de = [key, name, region, german(revenue), german(margin, 3), str(terms),
              "-" if satisfaction is None else german(satisfaction, 1), reviewed.strftime("%d.%m.%Y %H:%M"),
              visit.strftime("%d.%m.%Y"), {True: "ja", False: "nein", None: ""}[knows]]
        plain_de.append(de)
        decorated.append([*de[:3], f"€ {german(revenue)}", f"{german(margin * 100, 1)} %", *de[5:]])
    for variant, records, sep, encoding in (("canonical", canonical, ",", "utf-8"), ("german", plain_de, ";", "utf-8"),
                                            ("german-1252", plain_de, ";", "cp1252"),
                                            ("decorated", decorated, ";", "cp1252")):
        folder = folders[variant]
        folder.mkdir(parents=True, exist_ok=True)
        text = "\r\n".join(sep.join(row) for row in [header, *records]) + "\r\n"
        (folder / "customers.csv").write_bytes(text.encode(encoding))
    return folders


def config(variant: str) -> DataConfig:
    if variant == "canonical":
        return DataConfig(customers=TableSpec(fields=FIELDS))
    return DataConfig(customers=TableSpec(fields=FIELDS), encoding="utf-8" if variant == "german" else "windows-1252",
                      number_format="de", date_formats=["%d.%m.%Y %H:%M", "%d.%m.%Y"], true_values=["ja"],
                      false_values=["nein"])


def read(folder: Path, data: DataConfig) -> tuple[float, float, pl.DataFrame]:
    """Seconds to load, seconds to validate, and the typed table."""
    loaders = clientwise_loaders()
    started = time.perf_counter()
    raw = load_tables(folder, data, loaders, needed=set())
    loaded = time.perf_counter()
    typed = validate_tables(raw, data)["customers"]
    return loaded - started, time.perf_counter() - loaded, typed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results = []
    for rows in args.rows:
        folders = generate(rows)
        best: dict[str, tuple[float, float]] = {}
        tables: dict[str, pl.DataFrame] = {}
        for _ in range(args.repeat):
            for variant, folder in folders.items():
                load, validate, typed = read(folder, config(variant))
                tables[variant] = typed
                if variant not in best or load + validate < sum(best[variant]):
                    best[variant] = (load, validate)
        for variant in VARIANTS[1:]:
            assert tables[variant].equals(tables["canonical"]), f"{variant} read other values than canonical"
        size = {variant: (folder / "customers.csv").stat().st_size for variant, folder in folders.items()}
        total = sum(best["canonical"])
        print(f"{rows:,} rows (values read identical in all variants):")
        print(f"  {'variant':<12} {'MB':>6} {'load s':>7} {'validate s':>10} {'total s':>8} {'ratio':>6}")
        for variant, (load, validate) in best.items():
            print(f"  {variant:<12} {size[variant] / 1e6:6.1f} {load:7.2f} {validate:10.2f} {load + validate:8.2f} "
                  f"{(load + validate) / total:5.2f}x")
            results.append({"rows": rows, "variant": variant, "mb": size[variant] / 1e6, "load": load,
                            "validate": validate, "ratio": (load + validate) / total})
    OUT.mkdir(exist_ok=True)
    (OUT / "parsing.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

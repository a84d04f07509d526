"""Built-in loaders (CSV, JSON, JSON Lines, Parquet, Excel) and writers (table, CSV, JSON, JSON Lines)."""

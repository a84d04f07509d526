"""Built-in decision engines: polars (default) and durable-rules."""

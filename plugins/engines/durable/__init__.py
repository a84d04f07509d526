"""The durable-rules (Rete) engine and its helpers, with the ``[durable]`` extra."""

"""Machine-readable outputs are the same bytes whatever the number of threads.

The JSON writers encode customers in chunks on several threads (polars' encoder,
:mod:`clientwise.plugins.io.json_records`) and the runtime tells polars where data is
already ordered; neither may change a byte. Each run is a fresh interpreter because
polars reads ``POLARS_MAX_THREADS`` once, at import.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import hashlib, io, json, sys
import clientwise
from clientwise.output.write import write_result
from clientwise.sample import DEMO_AS_OF, demo_path
from clientwise.plugins.io import json_records

json_records.CHUNK = 7  # many chunks, so their order is exercised
host = clientwise.build_host()
result = clientwise.evaluate("default", demo_path(), as_of=DEMO_AS_OF, host=host)
writers = host.writers()
found = {}
for name, writer in (("csv", writers["csv"]), ("json", writers["json"]), ("jsonl", writers["jsonl"]),
                     ("json-traced", writers["json"].configure(traces="true"))):
    path = sys.argv[1] + "/" + name
    write_result(result, writer, path)
    found[name] = open(path, "rb").read().hex()
print(json.dumps(found))
"""


def outputs(tmp_path: Path, threads: str | None) -> dict[str, bytes]:
    folder = tmp_path / (threads or "default")
    folder.mkdir()
    environment = dict(os.environ)
    environment.pop("POLARS_MAX_THREADS", None)
    if threads:
        environment["POLARS_MAX_THREADS"] = threads
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(folder)], capture_output=True, text=True, env=environment,
                          check=True)
    return {name: bytes.fromhex(data) for name, data in json.loads(done.stdout.strip().splitlines()[-1]).items()}


def test_csv_and_json_outputs_do_not_depend_on_the_thread_count(tmp_path: Path) -> None:
    one, many = outputs(tmp_path, "1"), outputs(tmp_path, None)
    assert {name: hashlib.sha256(data).hexdigest() for name, data in one.items()} == \
        {name: hashlib.sha256(data).hexdigest() for name, data in many.items()}
    customers = json.loads(one["json"])["customers"]
    assert len(customers) == 300 and all(c["explanation"] is None for c in customers)
    assert all(c["explanation"]["rules"] for c in json.loads(one["json-traced"])["customers"])

"""Every Python example in the hook reference runs and is a valid plugin.

The examples are what plugin authors copy; a renamed import or a contract change
must fail here, not in someone's plugin.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

import pytest

from clientwise.sdk.testing import assert_plugin_valid

DOC = Path(__file__).resolve().parent.parent / "docs" / "plugin-hooks.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)


def test_the_reference_has_examples() -> None:
    assert len(BLOCKS) >= 8


@pytest.mark.parametrize("number", range(len(BLOCKS)))
def test_each_example_imports_only_the_sdk_and_is_a_valid_plugin(number: int) -> None:
    code = BLOCKS[number]
    imported = set(re.findall(r"^(?:from|import) (clientwise[\w.]*)", code, flags=re.M))
    assert imported <= {"clientwise.sdk"}, f"example {number} imports {sorted(imported)}"
    module = ModuleType(f"doc_example_{number}")
    exec(compile(code, f"{DOC.name} example {number}", "exec"), module.__dict__)  # the docs' own code
    assert_plugin_valid(module)

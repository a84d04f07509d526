"""How a ruleset that ``extends`` another is merged onto it.

* Tables merge key by key; the extending ruleset wins on scalars.
* Arrays of tables whose items carry an ``id`` (rules, tiers, questions, cost
  drivers...) merge by ``id``: an item with a known id is merged onto the inherited
  one (so a client ruleset can change one threshold of one rule), a new id is
  appended, and ``remove = true`` drops the inherited item.
* Any other array is replaced whole.
"""

from __future__ import annotations

from typing import Any

from clientwise.errors import Problem, RulesetError


def _is_id_list(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(item, dict) and "id" in item for item in items)


def merge(base: dict[str, Any], override: dict[str, Any], *, file: str, path: str = "") -> dict[str, Any]:
    """``override`` merged onto ``base``; neither input is modified."""
    merged = dict(base)
    for key, value in override.items():
        key_path = f"{path}.{key}" if path else key
        if key in merged and isinstance(merged[key], dict) and isinstance(value, dict):
            merged[key] = merge(merged[key], value, file=file, path=key_path)
        elif key in merged and isinstance(merged[key], list) and isinstance(value, list) and _is_id_list(merged[key]):
            merged[key] = _merge_by_id(merged[key], value, file=file, path=key_path)
        else:
            merged[key] = strip_removals(value, file=file, path=key_path)
    return merged


def _merge_by_id(base: list[dict[str, Any]], override: list[Any], *, file: str, path: str) -> list[dict[str, Any]]:
    items = {item["id"]: dict(item) for item in base}
    order = [item["id"] for item in base]
    for index, item in enumerate(override):
        item_path = f"{path}[{index}]"
        if not isinstance(item, dict) or "id" not in item:
            raise RulesetError(
                Problem(
                    "this item has no 'id', so it cannot be merged with the inherited list",
                    file=file,
                    location=item_path,
                    hint=f"add id = \"...\" naming the inherited item to change, or a new id; ids here: {', '.join(order)}",
                )
            )
        item_id = item["id"]
        if item.get("remove") is True:
            if item_id not in items:
                raise RulesetError(
                    Problem(
                        f"remove = true for id '{item_id}', but no inherited item has that id",
                        file=file,
                        location=item_path,
                        hint=f"inherited ids are: {', '.join(order)}",
                    )
                )
            del items[item_id]
            order.remove(item_id)
            continue
        if item_id in items:
            items[item_id] = merge(items[item_id], item, file=file, path=item_path)
        else:
            items[item_id] = dict(item)
            order.append(item_id)
    return [items[item_id] for item_id in order]


def strip_removals(value: Any, *, file: str, path: str) -> Any:
    """Reject ``remove = true`` where nothing is inherited to remove."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict) and item.get("remove") is True:
                raise RulesetError(
                    Problem(
                        f"remove = true for id '{item.get('id')}', but this ruleset does not extend one that has it",
                        file=file,
                        location=f"{path}[{index}]",
                        hint="delete the item instead, or add extends = \"default\" at the top of the file",
                    )
                )
        return value
    if isinstance(value, dict):
        return {k: strip_removals(v, file=file, path=f"{path}.{k}") for k, v in value.items()}
    return value

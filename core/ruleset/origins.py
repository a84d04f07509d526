"""Where each item of a merged ruleset was written, so problems point into the user's own file.

Merging by ``id`` renumbers lists: the client's third rule may be ``rules[15]`` of the
merged document, and its ``when`` may come from the client's file while its ``action``
comes from the shipped one. Every problem found after merging (validation, compiling)
passes through :meth:`Origins.locate`, which maps ``rules[15].when`` back to the file
that wrote that key, at its index there, with the item's id.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from clientwise.errors import Problem


@dataclass(frozen=True)
class Place:
    """One file's part of an item: where it sits in that file and which keys it sets."""

    file: str
    path: str
    keys: frozenset[str]


@dataclass(frozen=True)
class ItemOrigin:
    id: str
    places: tuple[Place, ...]


@dataclass(frozen=True)
class Origins:
    """Merged item path (``rules[15]``) -> where the item was written."""

    items: dict[str, ItemOrigin] = field(default_factory=dict)

    @classmethod
    def of(cls, merged: dict[str, Any], files: Sequence[tuple[str, dict[str, Any]]]) -> Origins:
        """``files``: each file of the chain (base first) with its own document."""
        own: dict[str, list[Place]] = {}
        for file, document in files:
            for path, id_path, item in _id_items(document, "", ""):
                own.setdefault(id_path, []).append(Place(file, path, frozenset(item)))
        items = {
            path: ItemOrigin(str(item["id"]), tuple(own[id_path]))
            for path, id_path, item in _id_items(merged, "", "")
            if id_path in own
        }
        return cls(items)

    def locate(self, problem: Problem) -> Problem:
        """``problem`` pointed at the file and index where the user wrote the key."""
        location = problem.location
        if not location or not self.items:
            return problem
        prefix = _longest_prefix(location, self.items)
        if prefix is None:
            return problem
        origin = self.items[prefix]
        rest = location[len(prefix):]
        key = rest.lstrip(".").split(".", 1)[0].split("[", 1)[0]
        setting = [place for place in origin.places if key in place.keys]
        place = (setting or list(origin.places))[-1]
        if place.file == problem.file and place.path == prefix:
            return problem  # written where it stands: the location is already the user's own
        return replace(problem, file=place.file, location=f"{place.path}{rest} (id '{origin.id}')")


def _longest_prefix(location: str, items: dict[str, ItemOrigin]) -> str | None:
    best = None
    for cut in range(len(location), 0, -1):
        if cut < len(location) and location[cut] not in ".[ ":
            continue
        if location[:cut] in items:
            best = location[:cut]
            break
    return best


def _id_items(node: Any, path: str, id_path: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every item of an id-keyed list under ``node``: (path, path by ids, item)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _id_items(value, f"{path}.{key}" if path else str(key), f"{id_path}.{key}" if id_path else str(key))
    elif isinstance(node, list):
        keyed = bool(node) and all(isinstance(item, dict) and isinstance(item.get("id"), str) for item in node)
        for index, item in enumerate(node):
            item_path = f"{path}[{index}]"
            item_id_path = f"{id_path}[id={item['id']}]" if keyed else f"{id_path}[{index}]"
            if keyed:
                yield item_path, item_id_path, item
            yield from _id_items(item, item_path, item_id_path)

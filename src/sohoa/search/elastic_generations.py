"""Generations of ElasticIndex's indices, so that a full rebuild never leaves search empty.

The names the app uses (the pages index `NAME` and the record indices `NAME-<kind>`) are aliases of one
generation of concrete indices, `NAME-g<N>` and `NAME-g<N>-<kind>`. A rebuild fills generation N+1 while
searches still read N, then moves every alias in one `_aliases` call (atomic on the server) and deletes N.
An install from before generations holds concrete indices under the names themselves (generation 0): the
same call deletes them (`remove_index`) as it adds the aliases, so the first rebuild migrates it.
"""

from __future__ import annotations

import re
from typing import Any

from elasticsearch import Elasticsearch

from sohoa.search.elastic_schema import RECORD_MAPPINGS


def names(base: str) -> list[str]:
    """The pages index and its record indices, as named from `base`."""
    return [base, *(f"{base}-{kind}" for kind in RECORD_MAPPINGS)]


def generation_base(base: str, generation: int) -> str:
    """The base name of a generation's concrete indices (its record indices are `<that>-<kind>`)."""
    return f"{base}-g{generation}"


def concrete(client: Elasticsearch, name: str) -> list[str]:
    """The concrete indices behind a name: an alias's targets, the index itself, or none."""
    if client.indices.exists_alias(name=name):
        return sorted(client.indices.get_alias(name=name).body)
    return [name] if client.indices.exists(index=name) else []


def live_generation(client: Elasticsearch, base: str) -> int:
    """The generation the aliases point at; 0 for concrete indices under the plain names (or none)."""
    targets = concrete(client, base)
    found = re.fullmatch(re.escape(base) + r"-g(\d+)", targets[0]) if targets else None
    return int(found.group(1)) if found else 0


def switch(client: Elasticsearch, base: str, generation: int) -> list[str]:
    """Point every name of `base` at `generation` in one atomic call; answers the concrete indices it
    replaced that are still to be deleted (a plain index is deleted by the call itself)."""
    actions: list[dict[str, Any]] = []
    retired: list[str] = []
    new_base = generation_base(base, generation)
    for name, target in zip(names(base), names(new_base), strict=True):
        if client.indices.exists_alias(name=name):
            for old in client.indices.get_alias(name=name).body:
                actions.append({"remove": {"index": old, "alias": name}})
                retired.append(old)
        elif client.indices.exists(index=name):
            actions.append({"remove_index": {"index": name}})
        actions.append({"add": {"index": target, "alias": name}})
    client.indices.update_aliases(actions=actions)
    return retired

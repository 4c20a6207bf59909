"""One index contract: SearchIndex holds the record methods too, both backends implement all of it, and no
production module asks an index whether it keeps records (issue 21, item 5)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from sohoa.search import SearchIndex
from sohoa.search.elastic import ElasticIndex
from sohoa.search.records import RecordIndex
from sohoa.search.sqlite import SqliteIndex

SRC = Path(__file__).resolve().parents[1] / "src" / "sohoa"


def _methods(protocol: type) -> set[str]:
    return {name for name, _ in inspect.getmembers(protocol, inspect.isfunction) if not name.startswith("_")}


def test_the_contract_carries_the_record_methods() -> None:
    records = _methods(RecordIndex)
    assert {"index_documents", "owner_documents", "access_dossier", "audit_events"} <= records
    assert records <= _methods(SearchIndex)


def test_both_backends_have_every_method_of_the_contract() -> None:
    for backend in (SqliteIndex, ElasticIndex):
        missing = {m for m in _methods(SearchIndex) if not callable(getattr(backend, m, None))}
        assert not missing, (backend.__name__, missing)


def test_a_backend_at_runtime_is_the_whole_contract(index: SearchIndex) -> None:
    assert isinstance(index, SearchIndex)
    for name in _methods(SearchIndex):
        assert inspect.signature(getattr(index, name)).parameters.keys() == (
            inspect.signature(getattr(SearchIndex, name)).parameters.keys() - {"self"}
        ), name


def test_no_module_asks_whether_an_index_keeps_records() -> None:
    asking = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "isinstance"
                and "RecordIndex" in ast.unparse(node.args[1])
            ):
                asking.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert not asking

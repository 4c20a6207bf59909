"""The one table from the Elasticsearch client's errors to sohoa's, as httpx maps transport errors once.

A server that cannot be reached, or that says it cannot take the request now (429, 503), is
`IndexUnavailable` (a ServiceUnavailable: writes wait as pending index writes and are caught up later);
anything else it refuses is `IndexRefused`, sohoa's own mistake (500), logged by whoever answers it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from elasticsearch import ApiError, TransportError

from sohoa import telemetry
from sohoa.search.base import IndexRefused, IndexUnavailable

_BUSY = {429, 503}


def unreachable(url: str, why: str) -> IndexUnavailable:
    telemetry.index_error("elasticsearch", "unavailable")
    return IndexUnavailable(
        f"Không kết nối được Elasticsearch tại {url}", f"cannot reach Elasticsearch at {url}: {why}"
    )


def refused(what: str, why: object) -> IndexRefused:
    telemetry.index_error("elasticsearch", "refused")
    return IndexRefused(
        f"Elasticsearch từ chối ghi {what}", f"Elasticsearch refused {what}: {str(why)[:300]}"
    )


@contextmanager
def translated(url: str) -> Iterator[None]:
    try:
        yield
    except TransportError as exc:
        raise unreachable(url, type(exc).__name__) from exc
    except ApiError as exc:
        if exc.meta.status in _BUSY:
            raise unreachable(url, f"HTTP {exc.meta.status} {exc.error}") from exc
        raise refused("the request", f"HTTP {exc.meta.status} {exc.error}") from exc

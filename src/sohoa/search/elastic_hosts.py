"""The Elasticsearch nodes sohoa reaches: `SOHOA_ES_URL` names one or several, comma-separated.

The client is given every node and fails over between them (a node that refuses a connection is set aside
and the request retried on the next), so any node of a cluster can go down without search stopping. Checked
here once, for the settings and for ElasticIndex alike, so that a mistyped list is refused when sohoa
starts rather than found at the first search."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from sohoa.errors import InvalidValue


def _bad(n: int, vi_why: str, en_why: str) -> InvalidValue:
    return InvalidValue(
        f"SOHOA_ES_URL: địa chỉ thứ {n} {vi_why}; cần một hoặc nhiều địa chỉ http(s)://máy:cổng, "
        "cách nhau bằng dấu phẩy",
        f"SOHOA_ES_URL: URL {n} {en_why}; give one or more http(s)://host:port URLs, comma-separated",
    )


def _shown(url: str) -> str:
    """The URL as said in a message: a password in it is not repeated."""
    return repr(url if "@" not in url else "…@" + url.rsplit("@", 1)[1])


def es_urls(value: str | Sequence[str]) -> list[str]:
    """The node URLs of `value` (a comma-separated string or a list), each checked: http or https, a host,
    a port that is a number. Raises InvalidValue (a ValueError, so pydantic reports it as the field's)."""
    items = value.split(",") if isinstance(value, str) else list(value)
    urls = [item.strip() for item in items]
    for n, url in enumerate(urls, 1):
        if not url:
            raise _bad(n, "trống", "is empty")
        parts, shown = urlsplit(url), _shown(url)
        if parts.scheme not in ("http", "https"):
            raise _bad(
                n, f"({shown}) không bắt đầu bằng http:// hay https://", f"({shown}) is not http(s)://"
            )
        try:
            parts.port  # noqa: B018 (urlsplit checks the port only when asked)
        except ValueError:
            raise _bad(n, f"({shown}) có cổng không hợp lệ", f"({shown}) has an invalid port") from None
        if not parts.hostname:
            raise _bad(n, f"({shown}) thiếu tên máy", f"({shown}) has no host")
    return urls

"""Where events may be sent: an http(s) URL whose host resolves to public addresses only.

Checked when an admin registers a subscription and again before each delivery (a name may come to resolve
elsewhere later), so sohoa cannot be made to post to the services beside it (MinIO, Elasticsearch, Redis,
a cloud's metadata address) or to this machine: loopback, link-local, private, shared, reserved and
multicast addresses and the machine's own are refused unless `allow_private` (SOHOA_WEBHOOKS_ALLOW_PRIVATE)
says otherwise. Redirects are never followed (archive.deliveries), so an answer cannot lead elsewhere.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from sohoa.errors import BadInput


class RefusedUrl(BadInput):
    code = "refused_url"


def _own_addresses() -> set[str]:
    """The addresses this machine's own names resolve to (beside loopback, always refused)."""
    found: set[str] = set()
    for name in {socket.gethostname(), socket.getfqdn()}:
        try:
            found.update(str(info[4][0]) for info in socket.getaddrinfo(name, None))
        except OSError:
            continue
    return found


def _public(address: str, own: set[str]) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast and str(ip) not in own


def check_url(url: str, *, allow_private: bool = False) -> str:
    """The URL if events may go there; RefusedUrl (422) saying why otherwise."""
    try:
        parts = urlsplit(url.strip())
        host, _ = parts.hostname, parts.port  # .port raises on a port that is not one
    except ValueError as exc:
        raise RefusedUrl(f"Địa chỉ không hợp lệ: {url[:200]}", f"not a valid URL: {url[:200]}") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise RefusedUrl(
            f"Chỉ nhận địa chỉ http:// hoặc https://: {url[:200]}",
            f"only http:// or https:// URLs are accepted: {url[:200]}",
        )
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, parts.port or 443)}
    except (OSError, UnicodeError, ValueError) as exc:
        raise RefusedUrl(
            f"Không phân giải được tên máy {host[:100]}", f"the host {host[:100]} does not resolve"
        ) from exc
    if allow_private:
        return url.strip()
    own = _own_addresses()
    private = sorted(a for a in addresses if not _public(a, own))
    if private:
        raise RefusedUrl(
            f"Không gửi sự kiện tới địa chỉ nội bộ hoặc của chính máy chủ ({host[:100]} → {private[0]}); "
            "chỉ cho phép khi đặt SOHOA_WEBHOOKS_ALLOW_PRIVATE=1",
            f"events are not sent to private, loopback or this server's own addresses ({host[:100]} → "
            f"{private[0]}); set SOHOA_WEBHOOKS_ALLOW_PRIVATE=1 to allow it",
        )
    return url.strip()

"""Users, API tokens and web sessions, kept in the store: create and disable users, set passwords, issue
and revoke tokens, and turn a presented token back into the principal it stands for.

A token reads `sohoa_<id>_<secret>`: the id names the stored credential, the secret (256 random bits) is
kept only as its sha256, so a copy of the store yields no usable token. Passwords are hashed with argon2id.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sohoa.errors import BadInput, Conflict, NotFound
from sohoa.records.access import USERNAME_RE, Credential, Principal, Role, TokenKind, User
from sohoa.records.models import utcnow
from sohoa.storage import keys
from sohoa.storage.base import ObjectExists, ObjectNotFound, ObjectStore
from sohoa.storage.manifests import read_manifest, update_manifest

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps a wrong name as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("sohoa-no-such-user")
MIN_PASSWORD = 10


def _check_username(username: str) -> str:
    if not USERNAME_RE.fullmatch(username):
        raise BadInput(
            "Tên đăng nhập gồm 2–40 chữ thường, số, dấu . _ -",
            "a username is 2-40 lowercase letters, digits, '.', '_' or '-'",
        )
    return username


def add_user(store: ObjectStore, user: User) -> User:
    _check_username(user.username)
    try:
        store.create_bytes(
            keys.user(user.username), user.model_dump_json(indent=2).encode(), content_type="application/json"
        )
    except ObjectExists as exc:
        raise Conflict(f"Đã có người dùng {user.username}", f"user {user.username} already exists") from exc
    return user


def load_user(store: ObjectStore, username: str) -> User:
    try:
        return read_manifest(store, keys.user(_check_username(username)), User)
    except ObjectNotFound as exc:
        raise NotFound(f"Không có người dùng {username}", f"no user {username}") from exc


def update_user(store: ObjectStore, username: str, change: Callable[[User], User]) -> User:
    """Change a user's record as stored now, never over a concurrent change (storage.manifests)."""
    try:
        return update_manifest(store, keys.user(_check_username(username)), User, change)[0]
    except ObjectNotFound as exc:
        raise NotFound(f"Không có người dùng {username}", f"no user {username}") from exc


def list_users(store: ObjectStore, *, limit: int | None = None, offset: int = 0) -> tuple[int, list[User]]:
    """How many accounts there are, and a page of them in user-name order (only that page is read)."""
    names = sorted(store.list(keys.USERS_PREFIX))
    end = None if limit is None else offset + limit
    return len(names), [read_manifest(store, k, User) for k in names[offset:end]]


def set_password(store: ObjectStore, username: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise BadInput(
            f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự", f"a password needs {MIN_PASSWORD}+ chars"
        )
    password_hash = _hasher.hash(password)
    update_user(store, username, lambda user: user.model_copy(update={"password_hash": password_hash}))


def check_password(store: ObjectStore, username: str, password: str) -> User | None:
    """The user if the password is theirs and they are not disabled; None otherwise (same cost either way)."""
    try:
        user = load_user(store, username)
    except (NotFound, BadInput):
        user = None
    try:
        _hasher.verify(user.password_hash if user and user.password_hash else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled or not user.password_hash:
        return None
    return user


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(
    store: ObjectStore, username: str, *, lifetime: timedelta, kind: TokenKind = TokenKind.API
) -> tuple[str, Credential]:
    """A new token for the user: the string to hand over (shown once) and the credential as stored."""
    user = load_user(store, username)
    if user.disabled:
        raise Conflict(f"Người dùng {username} đã bị khóa", f"user {username} is disabled")
    credential_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    credential = Credential(
        id=credential_id,
        kind=kind,
        username=username,
        secret_sha256=_sha256(secret),
        created_at=now,
        expires_at=now + lifetime,
    )
    store.create_bytes(
        keys.credential(credential_id),
        credential.model_dump_json(indent=2).encode(),
        content_type="application/json",
    )
    return f"sohoa_{credential_id}_{secret}", credential


def revoke_token(store: ObjectStore, credential_id: str) -> Credential:
    def change(credential: Credential) -> Credential | None:
        if credential.revoked_at is not None:
            return None  # revoked already: its time stays the first one
        return credential.model_copy(update={"revoked_at": utcnow()})

    try:
        return update_manifest(store, keys.credential(credential_id), Credential, change)[0]
    except (ObjectNotFound, ValueError) as exc:
        raise NotFound(
            f"Không có mã truy cập {credential_id[:20]}", f"no token {credential_id[:20]}"
        ) from exc


def list_tokens(store: ObjectStore, username: str | None = None) -> list[Credential]:
    found = (read_manifest(store, k, Credential) for k in store.list(keys.CREDENTIALS_PREFIX))
    return [c for c in found if username is None or c.username == username]


def parse_token(token: str) -> tuple[str, str] | None:
    prefix, _, rest = token.partition("_")
    credential_id, _, secret = rest.partition("_")
    if prefix != "sohoa" or len(credential_id) != 16 or not secret:
        return None
    if not all(c in "0123456789abcdef" for c in credential_id):
        return None
    return credential_id, secret


def authenticate(
    store: ObjectStore, token: str, *, kind: TokenKind, now: datetime | None = None
) -> tuple[Principal, Credential] | None:
    """The principal a presented token stands for, or None when it is malformed, unknown, of the wrong kind,
    expired, revoked, or its user is disabled."""
    parsed = parse_token(token)
    if parsed is None:
        return None
    credential_id, secret = parsed
    try:
        credential = read_manifest(store, keys.credential(credential_id), Credential)
    except ObjectNotFound:
        return None
    if credential.kind is not kind or not credential.active(now or utcnow()):
        return None
    if not hmac.compare_digest(credential.secret_sha256, _sha256(secret)):
        return None
    try:
        user = load_user(store, credential.username)
    except NotFound:
        return None
    if user.disabled:
        return None
    return Principal.of(user, kind), credential


def disable_user(store: ObjectStore, username: str) -> User:
    return update_user(store, username, lambda user: user.model_copy(update={"disabled": True}))


__all__ = [
    "Role",
    "add_user",
    "authenticate",
    "check_password",
    "disable_user",
    "issue_token",
    "list_tokens",
    "list_users",
    "load_user",
    "revoke_token",
    "set_password",
]

"""FastAPI dependencies: the backends of the running app; nothing reaches for a global."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from sohoa.api.backends import Backends


def get_backends(request: Request) -> Backends:
    return request.app.state.backends


BackendsDep = Annotated[Backends, Depends(get_backends)]


def current_actor() -> str:
    """Who is acting, for the records (links, reuse events, revocations, confirmations).

    Until the access-control issue brings users and tokens, every API caller is recorded as "api"; this is
    the one place that will change.
    """
    return "api"


ActorDep = Annotated[str, Depends(current_actor)]

"""FastAPI dependencies: the backends of the running app; nothing reaches for a global.
Who is calling and what they may do is `api.auth`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from sohoa.api.backends import Backends


def get_backends(request: Request) -> Backends:
    return request.app.state.backends


BackendsDep = Annotated[Backends, Depends(get_backends)]

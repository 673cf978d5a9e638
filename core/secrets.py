"""Internal tokens, read from the environment or a file (never argv), checked as bearer headers."""

from __future__ import annotations

import hmac
import os
from pathlib import Path


class MissingSecret(RuntimeError):
    """A required token is neither in the environment nor in its ``*_FILE``."""


def read_secret(name: str) -> str:
    """The secret ``name`` from the environment, else from the file named by ``name``_FILE."""
    value = os.environ.get(name, "").strip()
    if value:
        return value
    path = os.environ.get(f"{name}_FILE", "").strip()
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise MissingSecret(f"{name}_FILE cannot be read: {exc.strerror}") from exc
    return ""


def require_secret(name: str) -> str:
    """Like :func:`read_secret`, but fail closed when the secret is empty."""
    value = read_secret(name)
    if not value:
        raise MissingSecret(f"{name} (or {name}_FILE) must be set")
    return value


def bearer_matches(authorization: str | None, token: str) -> bool:
    """Whether an ``Authorization`` header carries ``Bearer <token>`` (constant-time compare)."""
    if not authorization or not token:
        return False
    scheme, _, provided = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(provided.strip().encode(), token.encode())

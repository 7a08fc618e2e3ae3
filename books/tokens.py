"""Issuing and checking API bearer tokens."""

import hashlib
import secrets

from django.contrib.auth.models import User
from django.utils import timezone

from books.models import ApiToken


def _digest(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def issue_api_token(*, user: User, name: str) -> str:
    """Create a token for `user` and return its secret, which is never stored in clear."""
    raw_token = secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name, digest=_digest(raw_token))
    return raw_token


def user_for_api_token(raw_token: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(raw_token), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user

"""System checks that reject bad catalogue settings at start-up."""

from django.conf import settings
from django.core.checks import Error

MAX_PAGE_SIZE = 100


def check_page_size(app_configs, **kwargs) -> list[Error]:
    page_size = settings.PAGE_SIZE
    if isinstance(page_size, int) and 1 <= page_size <= MAX_PAGE_SIZE:
        return []
    return [
        Error(
            f"PAGE_SIZE must be a whole number from 1 to {MAX_PAGE_SIZE}, got {page_size!r}.",
            hint="Set PAGE_SIZE in the environment or in .env, e.g. PAGE_SIZE=5.",
            id="books.E001",
        )
    ]

import os
import subprocess
import sys

import pytest

from books.checks import check_page_size
from tests.helpers import REPO


def final_error(result: subprocess.CompletedProcess) -> str:
    """The exception that stopped `manage.py`: the last line of what it printed."""
    return result.stderr.strip().splitlines()[-1]


def run_manage_check(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("page_size", [0, -3, 1000])
def test_out_of_range_page_size_is_a_system_check_error(settings, page_size) -> None:
    settings.PAGE_SIZE = page_size

    [error] = check_page_size(None)

    assert error.id == "books.E001"
    assert "PAGE_SIZE" in error.msg


def test_default_page_size_passes_the_check() -> None:
    assert check_page_size(None) == []


def test_unparsable_page_size_stops_start_up_naming_the_variable() -> None:
    result = run_manage_check(PAGE_SIZE="five")

    assert result.returncode != 0
    # The error that stops start-up is ours, naming the variable and its value, not the
    # ValueError that parsing it raised (that one is only its cause).
    assert final_error(result).startswith(
        "django.core.exceptions.ImproperlyConfigured: "
        "Environment variable PAGE_SIZE='five' is not valid"
    )


def test_zero_page_size_fails_manage_check_with_the_hint() -> None:
    result = run_manage_check(PAGE_SIZE="0")

    assert result.returncode != 0
    assert "books.E001" in result.stderr


def test_unparsable_debug_flag_stops_start_up() -> None:
    result = run_manage_check(DEBUG="maybe-ish")

    assert result.returncode != 0
    assert final_error(result).startswith(
        "django.core.exceptions.ImproperlyConfigured: "
        "Environment variable DEBUG='maybe-ish' is not valid"
    )

import os
import subprocess
import sys

import pytest

from books.checks import check_page_size
from tests.helpers import REPO


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
    assert "PAGE_SIZE='five' is not valid" in result.stderr
    assert "Traceback" not in result.stderr.splitlines()[-1]


def test_zero_page_size_fails_manage_check_with_the_hint() -> None:
    result = run_manage_check(PAGE_SIZE="0")

    assert result.returncode != 0
    assert "books.E001" in result.stderr


def test_unparsable_debug_flag_stops_start_up() -> None:
    result = run_manage_check(DEBUG="maybe-ish")

    assert result.returncode != 0
    assert "DEBUG" in result.stderr

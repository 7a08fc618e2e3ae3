"""Deployment settings come from the environment: the README's production settings pass
`check --deploy`, and with DEBUG off a missing or development SECRET_KEY refuses to start."""

import os
import re
import secrets

import pytest

from tests.helpers import REPO, manage_py


def production_settings() -> dict[str, str]:
    """The README's production settings block, with a real key for its placeholder."""
    readme = (REPO / "README.md").read_text()
    block = re.search(r"### Production settings\n.*?```sh\n(.*?)```", readme, re.DOTALL)
    assert block, "README.md has no Production settings block"
    variables = dict(line.split("=", 1) for line in block[1].splitlines() if line)
    assert variables["SECRET_KEY"] == "<50+ random characters>"
    return {**variables, "SECRET_KEY": secrets.token_urlsafe(50)}


def site_env(**variables: str) -> dict[str, str]:
    """A `manage.py` environment with the site's own settings module (not the tests', which
    supplies a key) and these variables, whatever the environment or a .env file says."""
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "bookstore_site.settings", **variables}


def test_check_deploy_passes_with_the_readme_production_settings() -> None:
    result = manage_py(
        "check", "--deploy", "--fail-level", "WARNING", env=site_env(**production_settings())
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_without_them() -> None:
    env = site_env(DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50))

    result = manage_py("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode != 0
    for warning in ("W004", "W008", "W012", "W016"):
        assert f"security.{warning}" in result.stderr


@pytest.mark.parametrize(
    "key",
    [
        "",
        "change-me-in-production",
        "django-insecure-" + secrets.token_urlsafe(50),
        "abcd" * 20,
    ],
    ids=["missing", "short", "django-insecure", "four-distinct-characters"],
)
def test_a_development_secret_key_refuses_to_start_with_debug_off(key) -> None:
    result = manage_py("check", env=site_env(DEBUG="false", SECRET_KEY=key))

    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith(
        "django.core.exceptions.ImproperlyConfigured: SECRET_KEY is missing or a development key"
    )


def test_debug_runs_without_a_secret_key() -> None:
    result = manage_py("check", env=site_env(DEBUG="true", SECRET_KEY=""))

    assert result.returncode == 0, result.stderr


def test_a_malformed_proxy_ssl_header_is_refused_by_name() -> None:
    env = site_env(DEBUG="true", SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO")

    result = manage_py("check", env=env)

    assert result.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER='HTTP_X_FORWARDED_PROTO' is not valid" in result.stderr


def test_every_page_carries_the_content_security_policy(client, db) -> None:
    policy = client.get("/")["Content-Security-Policy"]

    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy

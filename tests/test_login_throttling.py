"""Login throttling (django-axes): a handful of failed logins lock the username and the client
address out for a cool-off, whatever password comes next; the reset commands unlock."""

import datetime
import time

import pytest
from django.core.management import call_command

ATTACKER = "203.0.113.7"
ELSEWHERE = "198.51.100.20"
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # Dozens of logins per test: the production hasher's work factor would take most of a minute.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("admin", "admin@example.com", PASSWORD)


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user("editor", password=PASSWORD, is_staff=True)


def log_in(client, username: str, password: str, *, address: str = ATTACKER):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def fail_five_times(client, username: str = "admin", *, address: str = ATTACKER) -> None:
    """Five wrong passwords: the login form answers the first four, the fifth locks."""
    statuses = [log_in(client, username, "wrong", address=address).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]


def is_logged_in(response) -> bool:
    return response.status_code == 302 and response.url == "/admin/"


def test_five_wrong_passwords_lock_the_login_so_the_right_one_is_refused(
    client, admin_user
) -> None:
    fail_five_times(client)

    response = log_in(client, "admin", PASSWORD)

    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "Try again in 15 minutes" in response.content.decode()
    assert client.get("/admin/").status_code == 302  # still the login page


def test_four_wrong_passwords_then_the_right_one_logs_in_and_clears_the_count(
    client, admin_user
) -> None:
    for _ in range(4):
        log_in(client, "admin", "wrong")
    assert is_logged_in(log_in(client, "admin", PASSWORD))
    client.logout()

    for _ in range(4):
        log_in(client, "admin", "wrong")
    assert is_logged_in(log_in(client, "admin", PASSWORD))


def test_a_locked_username_is_refused_from_every_address_while_other_users_log_in(
    client, admin_user, editor
) -> None:
    fail_five_times(client)

    assert log_in(client, "admin", PASSWORD, address=ELSEWHERE).status_code == 429
    assert is_logged_in(log_in(client, "editor", PASSWORD, address=ELSEWHERE))


def test_an_address_guessing_many_usernames_is_locked_out_for_every_user(
    client, admin_user, editor
) -> None:
    for username in ("root", "administrator", "staff", "test", "guest"):
        log_in(client, username, "wrong")

    assert log_in(client, "editor", PASSWORD).status_code == 429
    assert is_logged_in(log_in(client, "editor", PASSWORD, address=ELSEWHERE))


def test_the_lock_ends_after_the_cool_off(client, admin_user, settings) -> None:
    settings.AXES_COOLOFF_TIME = datetime.timedelta(seconds=1)
    fail_five_times(client)
    assert log_in(client, "admin", PASSWORD).status_code == 429

    time.sleep(1.1)

    assert is_logged_in(log_in(client, "admin", PASSWORD))


@pytest.mark.parametrize(
    "command",
    [("axes_reset_username", "admin"), ("axes_reset",)],
    ids=["axes_reset_username", "axes_reset"],
)
def test_the_reset_commands_unlock_at_once(client, admin_user, command) -> None:
    fail_five_times(client)
    assert log_in(client, "admin", PASSWORD).status_code == 429

    call_command(*command)

    assert is_logged_in(log_in(client, "admin", PASSWORD))


def test_a_staff_session_from_the_login_form_still_writes_through_the_api(
    client, admin_user
) -> None:
    assert is_logged_in(log_in(client, "admin", PASSWORD))

    response = client.post(
        "/api/books",
        {"title": "The Log", "author": "Jay Kreps", "published_at": "2013-12-16"},
        content_type="application/json",
    )

    assert response.status_code == 201, response.content

"""The API answers by its own OpenAPI schema: schemathesis generates requests for every
operation from /api/openapi.json, valid and invalid, anonymous and with a bearer token, sends
them to the site in-process (WSGI) and runs its default checks on every answer: no 5xx, only
declared statuses, content types, bodies and headers, invalid input refused, valid input
accepted, authentication enforced, 405 with Allow for undeclared methods."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from books.tokens import issue_api_token
from bookstore_site.wsgi import application

# Generated examples per operation and credentials (7 operations, twice); with the coverage
# phase's cases about 150 requests each, 2,100 in all: under a minute on 2 idle cores.
EXAMPLES = 100


def served(environ, start_response):
    # The client's address, which every WSGI server sets and werkzeug's test client does not.
    return application({"REMOTE_ADDR": "192.0.2.1", **environ}, start_response)


# Loaded from the site's own /api/openapi.json at collection; cases are sent to the same app.
# (Not schemathesis.pytest.from_fixture: its lazy loader fails under pytest 9.)
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", served)


@pytest.fixture(autouse=True)
def _one_transaction(db) -> None:
    """Every example writes into the test's transaction, rolled back at the end. Django's
    WSGI handler closes the connection, and so that transaction, around each request: like
    Django's test client, keep it open."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _no_rate_limit(settings) -> None:
    # Thousands of searches from one address: far past a person's rate limit.
    settings.SEARCH_RATE_LIMIT = "1000000/m"


@pytest.fixture
def token(admin_user) -> str:
    return issue_api_token(user=admin_user, name="schemathesis")


def valid_books_are_accepted_but_for_their_isbn(ctx, response, case):
    """positive_data_acceptance, but for the two refusals no schema can state: an ISBN-13
    whose check digit is wrong, and one another book has (both a declared 400 on isbn)."""
    if response.status_code == 400 and set(response.json().get("errors", ())) == {"isbn"}:
        return None
    return positive_data_acceptance(ctx, response, case)


def every_operation(test):
    """Runs `test` for every operation in the schema, EXAMPLES generated cases each."""
    return schema.parametrize()(
        settings(
            max_examples=EXAMPLES,
            deadline=None,
            # The database is function-scoped on purpose (see _one_transaction).
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )(test)
    )


def call_and_validate(case, headers: dict[str, str] | None = None) -> None:
    case.call_and_validate(
        headers=headers,
        excluded_checks=[positive_data_acceptance],
        additional_checks=[valid_books_are_accepted_but_for_their_isbn],
    )


@every_operation
def test_anonymous_requests_are_answered_by_the_schema(case) -> None:
    call_and_validate(case)


@every_operation
def test_requests_with_a_token_are_answered_by_the_schema(case, token) -> None:
    call_and_validate(case, {"Authorization": f"Bearer {token}"})

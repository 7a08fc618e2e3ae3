"""There is no Docker engine here, so the compose file's shape is checked instead."""

import re

import pytest
import yaml

from tests.helpers import REPO


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def settings_env_names() -> set[str]:
    source = (REPO / "bookstore_site" / "settings.py").read_text()
    return set(re.findall(r'_read\(\s*"([A-Z_]+)"', source))


def test_compose_runs_mysql_8_kafka_4_and_the_web_app(compose) -> None:
    services = compose["services"]

    assert services["mysql"]["image"].startswith("mysql:8")
    assert re.fullmatch(r"apache/kafka:4\.\d+\.\d+", services["kafka"]["image"])
    assert services["web"]["build"] == "."
    assert (REPO / "Dockerfile").is_file()


def test_every_long_running_service_has_a_health_check(compose) -> None:
    long_running = {name: s for name, s in compose["services"].items() if name != "setup"}

    assert all("healthcheck" in service for service in long_running.values())


def test_kafka_runs_in_kraft_mode(compose) -> None:
    kafka_env = compose["services"]["kafka"]["environment"]

    assert kafka_env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "CONTROLLER" in kafka_env["KAFKA_CONTROLLER_LISTENER_NAMES"]


def test_setup_waits_for_healthy_database_and_broker_and_creates_the_topic(compose) -> None:
    setup = compose["services"]["setup"]

    assert setup["depends_on"] == {
        "mysql": {"condition": "service_healthy"},
        "kafka": {"condition": "service_healthy"},
    }
    assert "create_topic" in setup["command"]
    assert "migrate" in setup["command"]


@pytest.mark.parametrize("service", ["web", "relay", "trends", "recommendations"])
def test_app_processes_start_after_setup_finished(compose, service) -> None:
    assert compose["services"][service]["depends_on"] == {
        "setup": {"condition": "service_completed_successfully"}
    }


@pytest.mark.parametrize(
    ("service", "command"),
    [
        ("relay", "relay_events"),
        ("trends", "consume_trends"),
        ("recommendations", "consume_recommendations"),
    ],
)
def test_each_worker_runs_its_command(compose, service, command) -> None:
    assert compose["services"][service]["command"] == ["python", "manage.py", command]


def test_app_env_names_are_ones_the_settings_read(compose) -> None:
    app_env = set(compose["services"]["web"]["environment"])

    assert app_env <= settings_env_names()
    assert {"DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "KAFKA_TOPIC"} <= app_env


def test_app_points_at_the_compose_services(compose) -> None:
    app_env = compose["services"]["web"]["environment"]
    mysql_env = compose["services"]["mysql"]["environment"]

    assert app_env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert app_env["DATABASE_URL"] == (
        f"mysql://{mysql_env['MYSQL_USER']}:{mysql_env['MYSQL_PASSWORD']}"
        f"@mysql:3306/{mysql_env['MYSQL_DATABASE']}"
    )

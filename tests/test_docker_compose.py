"""There is no Docker engine here, so the compose file's shape is checked instead."""

import re
from pathlib import PurePosixPath

import pytest
import yaml

from tests.helpers import REPO


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


# How the apache/kafka image turns its environment into the broker's server.properties (its
# docker/resources/common-scripts/configure and kafka-propertiesSpec.json, described in the
# image's docker/examples/README.md): every KAFKA_* variable except these JVM and log4j ones is a
# property, named by dropping KAFKA_, then "___" → "-", "__" → "_", "_" → ".", lower-cased
# (KAFKA_LOG_DIRS → log.dirs). Once any such variable is given, those are the whole config: the
# image's default server.properties (log.dirs=/tmp/kraft-combined-logs) is used only when none
# is, and a property left out takes Kafka's own default, log.dir=/tmp/kafka-logs.
KAFKA_IMAGE_NON_PROPERTIES = {
    "KAFKA_VERSION",
    "KAFKA_HEAP_OPT",
    "KAFKA_HEAP_OPTS",
    "KAFKA_LOG4J_OPTS",
    "KAFKA_OPTS",
    "KAFKA_JMX_OPTS",
    "KAFKA_JVM_PERFORMANCE_OPTS",
    "KAFKA_GC_LOG_OPTS",
    "KAFKA_LOG4J_ROOT_LOGLEVEL",
    "KAFKA_LOG4J_LOGGERS",
    "KAFKA_TOOLS_LOG4J_LOGLEVEL",
}
KAFKA_IMAGE_DEFAULT_LOG_DIRS = "/tmp/kraft-combined-logs"
KAFKA_DEFAULT_LOG_DIR = "/tmp/kafka-logs"
MYSQL_IMAGE_DATADIR = "/var/lib/mysql"


def environment(service: dict) -> dict[str, str]:
    """A service's environment, written as a mapping or as a list of NAME=value."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {name: str(value) for name, value in env.items()}


def kafka_properties(env: dict[str, str]) -> dict[str, str]:
    """The server.properties the apache/kafka image writes from these environment variables."""
    return {
        name.removeprefix("KAFKA_")
        .replace("___", "-")
        .replace("__", "\0")
        .replace("_", ".")
        .replace("\0", "_")
        .lower(): value
        for name, value in env.items()
        if name.startswith("KAFKA_") and name not in KAFKA_IMAGE_NON_PROPERTIES
    }


def kafka_data_dirs(env: dict[str, str]) -> list[str]:
    """Where the broker of the apache/kafka image writes its topics, offsets and metadata."""
    properties = kafka_properties(env)
    if not properties:
        log_dirs = KAFKA_IMAGE_DEFAULT_LOG_DIRS
    else:
        log_dirs = properties.get("log.dirs") or properties.get("log.dir") or KAFKA_DEFAULT_LOG_DIR
    dirs = [path.strip() for path in log_dirs.split(",")]
    if "metadata.log.dir" in properties:
        dirs.append(properties["metadata.log.dir"])
    return dirs


def named_volume_mounts(compose: dict, service: str) -> list[PurePosixPath]:
    """Where the service mounts the compose file's named volumes (which outlive containers)."""
    named = set(compose.get("volumes") or {})
    targets = []
    for volume in compose["services"][service].get("volumes", []):
        if isinstance(volume, str):
            source, _, rest = volume.partition(":")
            target = rest.partition(":")[0]
        else:
            source, target = volume.get("source"), volume["target"]
        if source in named:
            targets.append(PurePosixPath(target))
    return targets


def is_kept(path: str, mounts: list[PurePosixPath]) -> bool:
    return any(PurePosixPath(path) == m or m in PurePosixPath(path).parents for m in mounts)


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
def test_each_worker_runs_its_command_serving_its_metrics(compose, service, command) -> None:
    assert compose["services"][service]["command"] == [
        "python",
        "manage.py",
        command,
        *("--metrics-port", "9100", "--metrics-address", "0.0.0.0"),
    ]


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


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"KAFKA_LOG_DIRS": "/data"}, {"log.dirs": "/data"}),
        ({"KAFKA_ABC___DEF__GHI_JKL": "1"}, {"abc-def_ghi.jkl": "1"}),
        ({"KAFKA_HEAP_OPTS": "-Xmx1G", "KAFKA_JMX_OPTS": "", "CLUSTER_ID": "x"}, {}),
    ],
)
def test_kafka_image_names_properties_after_its_environment(env, expected) -> None:
    assert kafka_properties(env) == expected


@pytest.mark.parametrize(
    ("env", "data_dirs"),
    [
        ({}, [KAFKA_IMAGE_DEFAULT_LOG_DIRS]),
        ({"KAFKA_NODE_ID": "1"}, [KAFKA_DEFAULT_LOG_DIR]),
        ({"KAFKA_LOG_DIR": "/one"}, ["/one"]),
        ({"KAFKA_LOG_DIRS": "/a, /b", "KAFKA_METADATA_LOG_DIR": "/m"}, ["/a", "/b", "/m"]),
    ],
)
def test_kafka_image_writes_where_its_environment_says_or_to_its_defaults(env, data_dirs) -> None:
    assert kafka_data_dirs(env) == data_dirs


def test_kafka_keeps_its_topics_and_offsets_in_a_named_volume(compose) -> None:
    data_dirs = kafka_data_dirs(environment(compose["services"]["kafka"]))
    mounts = named_volume_mounts(compose, "kafka")

    assert mounts, "the kafka service mounts no named volume"
    assert all(is_kept(path, mounts) for path in data_dirs), (data_dirs, mounts)


def test_kafka_storage_is_formatted_with_a_fixed_cluster_id(compose) -> None:
    cluster_id = environment(compose["services"]["kafka"]).get("CLUSTER_ID", "")

    # A base64url UUID, as `kafka-storage.sh random-uuid` prints.
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", cluster_id)


def test_mysql_keeps_its_data_in_a_named_volume(compose) -> None:
    command = compose["services"]["mysql"].get("command") or []
    datadirs = [arg.partition("=")[2] for arg in command if arg.startswith("--datadir=")]
    datadir = datadirs[-1] if datadirs else MYSQL_IMAGE_DATADIR

    assert is_kept(datadir, named_volume_mounts(compose, "mysql"))


def dockerfile_stages() -> list[list[str]]:
    """The Dockerfile's build stages, each as its instruction lines (continuations joined)."""
    text = re.sub(r"\\\n\s*", " ", (REPO / "Dockerfile").read_text())
    stages: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages and line and not line.startswith("#"):
            stages[-1].append(line)
    return stages


def test_the_image_is_built_in_stages_and_the_final_one_has_no_compiler() -> None:
    *builders, final = dockerfile_stages()

    assert builders, "a single stage: the compiler would ship in the image"
    assert any("gcc" in line for stage in builders for line in stage)
    # Compilers, build tools, header packages (*-dev) and the development requirements.
    build_only = re.compile(r"\bgcc\b|build-essential|pkg-config|-dev\b")
    assert not [line for line in final if build_only.search(line)]


def test_the_image_runs_as_a_non_root_user() -> None:
    final = dockerfile_stages()[-1]
    users = [line.split(None, 1)[1] for line in final if line.upper().startswith("USER ")]

    assert users, "no USER in the final stage: the image would run as root"
    user = users[-1].partition(":")[0]
    assert user not in ("root", "0")


def test_the_image_installs_no_development_requirements() -> None:
    instructions = [line for stage in dockerfile_stages() for line in stage]

    assert not [line for line in instructions if "requirements-dev" in line]
    assert "requirements-dev.txt" in (REPO / ".dockerignore").read_text().split()


@pytest.mark.parametrize("service", ["setup", "web", "relay", "trends", "recommendations"])
def test_compose_refuses_to_start_the_app_without_a_secret_key(compose, service) -> None:
    secret_key = environment(compose["services"][service])["SECRET_KEY"]

    # "${VAR:?message}": compose stops with the message when VAR is unset or empty.
    assert re.fullmatch(r"\$\{SECRET_KEY:\?[^}]+\}", secret_key), secret_key

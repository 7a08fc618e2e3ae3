from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from events.kafka import credentials_refused, dead_letter_topic, new_admin
from events.registry import topics as registered_topics


def cluster_size(admin) -> int:
    return len(admin.describe_cluster()["brokers"])


def min_insync_replicas(replication_factor: int) -> int:
    """One replica may be down and writes with acks=all still succeed."""
    return max(1, replication_factor - 1)


class Command(BaseCommand):
    help = (
        "Create the topic of every registered event type and its dead-letter topic, or "
        "describe them."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--partitions", type=int, default=3, help="Partitions of a new topic (3)."
        )
        parser.add_argument(
            "--replication-factor",
            type=int,
            default=None,
            help="Replicas of each partition (default: 3, or fewer brokers if the cluster has "
            "fewer). min.insync.replicas is set to one less (at least 1), so that acks=all "
            "writes go on while one replica is down.",
        )
        parser.add_argument(
            "--config",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="A topic config such as retention.ms=604800000; repeatable.",
        )
        parser.add_argument(
            "--describe", action="store_true", help="Show the topics' partitions and configs."
        )
        parser.add_argument(
            "--timeout", type=float, default=5, help="Seconds to wait for the broker (5)."
        )

    def handle(self, *args, **options) -> None:
        if options["partitions"] < 1 or (options["replication_factor"] or 1) < 1:
            raise CommandError("--partitions and --replication-factor must be at least 1.")
        configs = self.parse_configs(options["config"])
        servers = ",".join(settings.KAFKA_BOOTSTRAP_SERVERS)
        topics = [
            name for topic in registered_topics() for name in (topic, dead_letter_topic(topic))
        ]
        try:
            admin = new_admin(timeout_ms=int(options["timeout"] * 1000))
        except KafkaError as exc:
            raise CommandError(
                credentials_refused()
                or f"Cannot reach Kafka at {servers}: {exc}. Start it with `make services`, "
                "or set KAFKA_BOOTSTRAP_SERVERS."
            ) from exc
        try:
            if options["describe"]:
                self.describe(admin, topics)
            else:
                factor = options["replication_factor"] or min(3, cluster_size(admin))
                configs = {"min.insync.replicas": str(min_insync_replicas(factor)), **configs}
                for topic in topics:
                    self.create(admin, topic, options["partitions"], factor, configs)
        except KafkaError as exc:
            raise CommandError(f"Kafka at {servers} refused: {exc}") from exc
        finally:
            admin.close()

    @staticmethod
    def parse_configs(pairs: list[str]) -> dict[str, str]:
        configs = {}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep or not key.strip():
                raise CommandError(f"--config takes KEY=VALUE, got {pair!r}.")
            configs[key.strip()] = value.strip()
        return configs

    def create(
        self, admin, topic: str, partitions: int, factor: int, configs: dict[str, str]
    ) -> None:
        new_topic = NewTopic(
            topic, num_partitions=partitions, replication_factor=factor, topic_configs=configs
        )
        try:
            admin.create_topics([new_topic])
        except TopicAlreadyExistsError:
            self.stdout.write(self.style.SUCCESS(f"Topic {topic} already exists; left as it is."))
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Created topic {topic} with {partitions} partitions, replication factor "
                f"{factor}, min.insync.replicas {configs['min.insync.replicas']}."
            )
        )

    def describe(self, admin, topics: list[str]) -> None:
        resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in topics]
        configs = admin.describe_configs(resources)["topic"]
        for description in admin.describe_topics(topics):
            name = description["name"] or "?"
            if description["error_code"]:
                self.stdout.write(f"{name}: does not exist (run `manage.py create_topic`)")
                continue
            partitions = sorted(description["partitions"], key=lambda p: p["partition_index"])
            self.stdout.write(f"{name}: {len(partitions)} partitions")
            for partition in partitions:
                self.stdout.write(
                    f"  partition {partition['partition_index']}: leader {partition['leader_id']}, "
                    f"replicas {partition['replica_nodes']}, in sync {partition['isr_nodes']}"
                )
            overrides = {key: entry["value"] for key, entry in configs.get(name, {}).items()}
            self.stdout.write(f"  configs: {overrides or 'broker defaults'}")

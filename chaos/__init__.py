"""The fault suite: `python -m chaos [--short] [--scenario NAME]`.

Runs the whole pipeline (gunicorn, the outbox relay, both consumers) against a MariaDB and a
three-node Kafka cluster of its own, injects one fault per scenario under steady search load,
and checks that no search event is lost or counted twice and that the backlog clears quickly.
"""

"""Bad Kafka security settings are rejected at start-up, naming what to fix."""

import pytest

from events.checks import check_kafka_settings


def error_ids(settings) -> list[str]:
    return [error.id for error in check_kafka_settings(None)]


def test_plaintext_default_passes(settings) -> None:
    assert error_ids(settings) == []


def test_unknown_security_protocol_is_an_error(settings) -> None:
    settings.KAFKA_SECURITY_PROTOCOL = "SASL_TLS"

    assert error_ids(settings) == ["events.E005"]


@pytest.mark.parametrize("mechanism", ["GSSAPI", "scram-sha-512", ""])
def test_unsupported_sasl_mechanism_is_an_error(settings, mechanism) -> None:
    settings.KAFKA_SECURITY_PROTOCOL = "SASL_SSL"
    settings.KAFKA_SASL_MECHANISM = mechanism
    settings.KAFKA_SASL_USERNAME, settings.KAFKA_SASL_PASSWORD = "user", "secret"

    assert error_ids(settings) == ["events.E006"]


def test_sasl_without_credentials_is_an_error(settings) -> None:
    settings.KAFKA_SECURITY_PROTOCOL = "SASL_PLAINTEXT"

    assert error_ids(settings) == ["events.E007"]


def test_missing_ca_file_and_a_certificate_without_its_key_are_errors(settings, tmp_path) -> None:
    certificate = tmp_path / "client.pem"
    certificate.write_text("-----BEGIN CERTIFICATE-----")
    settings.KAFKA_SECURITY_PROTOCOL = "SSL"
    settings.KAFKA_SSL_CAFILE = str(tmp_path / "missing-ca.pem")
    settings.KAFKA_SSL_CERTFILE = str(certificate)

    errors = check_kafka_settings(None)

    assert [error.id for error in errors] == ["events.E008", "events.E008"]
    assert "missing-ca.pem" in errors[0].msg
    assert "go together" in errors[1].msg

"""TLS between kiosk and service, over the real service and the real client.

The kiosk trusts only the city's CA when ``[api] ca_file`` is set; with mutual TLS only a kiosk
holding a certificate from that CA connects; behind a proxy that verifies kiosk certificates the
service refuses a signed request whose certificate belongs to another kiosk. The kiosk's config
refuses TLS files it could not use, at load time, naming the key.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests

from kiosk.api_client import KioskSigner, NetworkError
from kiosk.app import build_kiosk
from kiosk.config import ConfigError, KioskConfig, validate_config
from kiosk.dispatch import QueuedPost
from tests.support.central import running_central
from tests.support.tls import TestPki


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    return TestPki(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def other_pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    return TestPki(tmp_path_factory.mktemp("tls-other"), name="other")


def https_args(pki: TestPki, *, client_ca: bool = False) -> tuple[str, ...]:
    certificate, key = pki.server
    args = ("--ssl-certfile", str(certificate), "--ssl-keyfile", str(key))
    return args + (("--ssl-client-ca", str(pki.ca_file)) if client_ca else ())


def pair(files: tuple[Path, Path]) -> tuple[str, str]:
    return str(files[0]), str(files[1])


def test_the_kiosk_reaches_the_service_through_the_city_ca_and_no_other(
    pki: TestPki, other_pki: TestPki
) -> None:
    with running_central(serve_args=https_args(pki), probe={"verify": str(pki.ca_file)}) as server:
        assert server.base_url.startswith("https://")
        with server.client(ca_file=str(pki.ca_file)) as client:
            assert client.appointment_zones()
        # Another CA's bundle, and the public CAs (no ca_file): the service's certificate is refused.
        for ca_file in (str(other_pki.ca_file), ""):
            with server.client(ca_file=ca_file) as client, pytest.raises(NetworkError) as refused:
                client.appointment_zones()
            assert "SSLError" in refused.value.detail


def test_with_mutual_tls_only_a_kiosk_holding_a_city_certificate_connects(
    pki: TestPki, other_pki: TestPki
) -> None:
    probe = {"verify": str(pki.ca_file), "cert": pair(pki.client("probe"))}
    with running_central(
        kiosk_id="tls-kiosk-01", serve_args=https_args(pki, client_ca=True), probe=probe
    ) as server:
        own = pair(pki.client(server.kiosk_id))
        with server.client(ca_file=str(pki.ca_file), client_cert=own) as client:
            assert client.appointment_zones()
        # No certificate, or one from another CA: no connection, the same "no answer" as any outage
        # (the outbox keeps the application and tries again).
        for certificate in (None, pair(other_pki.client(server.kiosk_id))):
            with (
                server.client(ca_file=str(pki.ca_file), client_cert=certificate) as client,
                pytest.raises(NetworkError),
            ):
                client.appointment_zones()


def test_behind_a_proxy_the_verified_certificate_must_belong_to_the_signing_kiosk() -> None:
    header = "X-Client-Kiosk-Id"  # set by the TLS proxy from the certificate it verified
    with running_central(kiosk_id="proxied-01", serve_args=("--verified-kiosk-header", header)) as server:
        other_secret = server.provision("proxied-02")

        def call(kiosk_id: str, secret: bytes, verified: str | None) -> requests.Response:
            with requests.Session() as session:
                session.auth = KioskSigner(kiosk_id, secret)
                headers = {} if verified is None else {header: verified}
                return session.get(server.base_url + "/v1/appointments/zones", headers=headers, timeout=10)

        assert call("proxied-01", server.secret, "proxied-01").status_code == 200
        for verified in (None, "proxied-02"):
            refused = call("proxied-01", server.secret, verified)
            assert refused.status_code == 401
            assert refused.json()["detail"] == "The client certificate does not belong to this kiosk."
        assert call("proxied-02", other_secret, "proxied-02").status_code == 200


def test_the_kiosk_built_from_its_config_speaks_mutual_tls(tmp_path: Path, pki: TestPki) -> None:
    probe = {"verify": str(pki.ca_file), "cert": pair(pki.client("probe"))}
    with running_central(
        kiosk_id="tls-kiosk-02", serve_args=https_args(pki, client_ca=True), probe=probe
    ) as server:
        credential = tmp_path / "credential"
        credential.write_bytes(server.secret)
        certificate, key = pair(pki.client(server.kiosk_id))
        config = KioskConfig.model_validate(
            {
                "kiosk": {"id": server.kiosk_id},
                "storage": {"state_dir": str(tmp_path / "state")},
                "api": {
                    "base_url": server.base_url,
                    "credential_path": str(credential),
                    "ca_file": str(pki.ca_file),
                    "client_cert": certificate,
                    "client_key": key,
                },
            }
        )
        kiosk = build_kiosk(config, post=QueuedPost(), configure_logs=False, connect_devices=False)
        try:
            assert kiosk.catalog_source is not None
            catalog = kiosk.catalog_source()
            assert catalog is not None and len(catalog.items) > 1000  # fetched over mutual TLS
        finally:
            kiosk.close()


def api_config(**api: str) -> KioskConfig:
    return validate_config({"api": {"base_url": "https://central.example", **api}}, "kiosk.toml")


def test_tls_settings_that_could_not_work_are_config_errors(tmp_path: Path, pki: TestPki) -> None:
    certificate, key = pair(pki.client("kiosk-9"))
    not_pem = tmp_path / "not-a-certificate.pem"
    not_pem.write_text("hello\n")
    loose_key = tmp_path / "loose.key"
    loose_key.write_bytes(Path(key).read_bytes())
    os.chmod(loose_key, 0o644)
    other_key = pair(pki.client("kiosk-10"))[1]
    cases = [
        ({"ca_file": str(tmp_path / "missing.pem")}, r"\[api\]: ca_file: no file at .*missing\.pem"),
        ({"ca_file": str(not_pem)}, r"\[api\]: ca_file: .* holds no usable PEM certificate"),
        ({"client_cert": certificate}, r"client_cert and client_key are set together"),
        ({"client_cert": certificate, "client_key": str(loose_key)}, r"accessible by other users"),
        ({"client_cert": certificate, "client_key": other_key}, r"not a PEM certificate and its private key"),
    ]
    for api, message in cases:
        with pytest.raises(ConfigError, match=message):
            api_config(**api)
    with pytest.raises(ConfigError, match="need an https:// base_url"):
        validate_config({"api": {"base_url": "http://central.example", "ca_file": str(pki.ca_file)}}, "f")
    usable = api_config(ca_file=str(pki.ca_file), client_cert=certificate, client_key=key)
    assert usable.api.client_key == key

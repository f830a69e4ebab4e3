"""Certificates for TLS tests: a city CA, the service's certificate, kiosk client certificates.

    pki = TestPki(tmp_path)
    pki.server            # (certificate chain, key) of the service, for 127.0.0.1 and localhost
    pki.client("kiosk-1")  # (certificate, key) of a kiosk, issued by the same CA
    pki.ca_file           # the CA certificate a kiosk pins

``TestPki(tmp_path, name="other")`` is a second, unrelated CA. Keys are EC P-256 and written with
mode 0600, as a kiosk keeps its own.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_VALID = datetime.timedelta(days=2)


class TestPki:
    """A throw-away certificate authority in ``directory``."""

    __test__ = False  # not a pytest test class

    def __init__(self, directory: Path, name: str = "city") -> None:
        self._dir = directory / f"pki-{name}"
        self._dir.mkdir(parents=True, exist_ok=True)
        self._now = datetime.datetime.now(datetime.UTC)
        self._ca_key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} kiosk CA")])
        self._ca_name = subject
        self._ca = (
            self._builder(subject, self._ca_key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self._ca_key.public_key()), critical=False
            )
            .sign(self._ca_key, hashes.SHA256())
        )
        self.ca_file = self._dir / "ca.pem"
        self.ca_file.write_bytes(self._ca.public_bytes(serialization.Encoding.PEM))
        self.server = self._issue(
            "server",
            "127.0.0.1",
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")],
            ExtendedKeyUsageOID.SERVER_AUTH,
        )

    def client(self, kiosk_id: str) -> tuple[Path, Path]:
        """A client certificate whose subject CN and URI SAN name the kiosk."""
        return self._issue(
            f"client-{kiosk_id}",
            kiosk_id,
            [x509.UniformResourceIdentifier(f"urn:civic-kiosk:kiosk:{kiosk_id}")],
            ExtendedKeyUsageOID.CLIENT_AUTH,
        )

    def _builder(self, subject: x509.Name, public_key: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self._ca_name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(self._now - datetime.timedelta(minutes=5))
            .not_valid_after(self._now + _VALID)
        )

    def _issue(
        self, stem: str, common_name: str, names: list[x509.GeneralName], usage: x509.ObjectIdentifier
    ) -> tuple[Path, Path]:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        certificate = (
            self._builder(subject, key.public_key())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._ca_key.public_key()), critical=False
            )
            .sign(self._ca_key, hashes.SHA256())
        )
        cert_path, key_path = self._dir / f"{stem}.pem", self._dir / f"{stem}.key"
        cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        return cert_path, key_path

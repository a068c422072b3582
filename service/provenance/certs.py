"""
certs.py
--------

A development certificate authority and a signing certificate for
Content Credentials, made with `cryptography` (`heritage-ar c2pa dev-cert`).
C2PA asks for an end-entity certificate that is not a CA, carries the
digitalSignature key usage and an extended key usage such as
emailProtection, and is sent with its chain; a self-signed certificate is
refused. Development certificates are not on any trust list: verifiers
show the signature as intact but the signer as unknown.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.oid import NameOID

KEY_FILE = "signing-key.pem"
CHAIN_FILE = "signing-chain.pem"
CA_FILE = "dev-ca.pem"


def _name(common: str, org: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, common),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
    ])


def _key_ids(builder: x509.CertificateBuilder, public, issuer_public) -> x509.CertificateBuilder:
    return builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False).add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public), critical=False)


def dev_certificate(out_dir: str | Path, *, organisation: str = "heritage-ar development",
                    days: int = 365) -> dict[str, Path]:
    """Write a development CA, an ES256 signing certificate and its key into `out_dir`.

    Returns
    -------
    paths : dict
      {"key": signing-key.pem (private, mode 0600), "chain": signing-chain.pem (signing cert then CA),
       "ca": dev-ca.pem (to add to a verifier's trust list)}
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{organisation} CA", organisation)
    ca = (
        _key_ids(x509.CertificateBuilder(), ca_key.public_key(), ca_key.public_key())
        .subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=days * 2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        _key_ids(x509.CertificateBuilder(), key.public_key(), ca_key.public_key())
        .subject_name(_name(f"{organisation} content signing", organisation)).issuer_name(ca_name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_path, chain_path, ca_path = out / KEY_FILE, out / CHAIN_FILE, out / CA_FILE
    key_path.touch(mode=0o600)
    key_path.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    chain_path.write_bytes(cert.public_bytes(pem) + ca.public_bytes(pem))
    ca_path.write_bytes(ca.public_bytes(pem))
    return {"key": key_path, "chain": chain_path, "ca": ca_path}

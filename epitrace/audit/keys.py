"""The audit keys, kept outside the database.

Two secrets: the chain key (HMAC-SHA256 over every event and payload) and the
signing key (Ed25519 over checkpoints). Someone who can write to the database
but does not hold the chain key cannot forge a row whose hash verifies.

Each comes from ``EPITRACE_AUDIT_KEY`` / ``EPITRACE_AUDIT_SIGNING_KEY`` (in
Django settings, the environment, or a file named by ``..._FILE``). In
development they are generated once under the data folder; in production
they are required. Retired keys (``EPITRACE_AUDIT_RETIRED_KEYS`` and
``EPITRACE_AUDIT_RETIRED_SIGNING_KEYS``, comma separated) stay usable for
verification only, so rows and checkpoints written before a rotation still
verify: every row and checkpoint names the id of the key it was made with.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from epitrace.audit import conf
from epitrace.lib.env import ConfigurationError, persistent_dev_secret

CHAIN_KEY = "EPITRACE_AUDIT_KEY"
SIGNING_KEY = "EPITRACE_AUDIT_SIGNING_KEY"
RETIRED_KEYS = "EPITRACE_AUDIT_RETIRED_KEYS"
RETIRED_SIGNING_KEYS = "EPITRACE_AUDIT_RETIRED_SIGNING_KEYS"
_DEV_FILES = {CHAIN_KEY: "audit_key", SIGNING_KEY: "audit_signing_key"}
_MIN_LENGTH = 32


@dataclass(frozen=True)
class HmacKey:
    """A chain key; its id is a MAC of a constant, so it reveals nothing of the key."""

    secret: bytes = field(repr=False)

    @functools.cached_property
    def key_id(self) -> str:  # every event names it: worked out once per key
        return self.mac(b"epitrace-audit-key-id")[:16]

    def mac(self, data: bytes) -> str:
        return hmac.new(self.secret, data, hashlib.sha256).hexdigest()


class Signer(Protocol):
    algorithm: str
    key_id: str

    def sign(self, data: bytes) -> str: ...

    def verify(self, data: bytes, signature: str) -> bool: ...


class Ed25519Signer:
    """Checkpoint signatures that a holder of the public key alone can check."""

    algorithm = "ed25519"

    def __init__(self, secret: str) -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        seed = hashlib.sha256(b"epitrace-audit-signing-v1\0" + secret.encode()).digest()
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        self._public = self._private.public_key()
        raw = self._public.public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public_key_hex = raw.hex()
        self.key_id = hashlib.sha256(raw).hexdigest()[:16]

    def sign(self, data: bytes) -> str:
        return base64.b64encode(self._private.sign(data)).decode()

    def verify(self, data: bytes, signature: str) -> bool:
        from cryptography.exceptions import InvalidSignature

        try:
            self._public.verify(base64.b64decode(signature, validate=True), data)
        except (InvalidSignature, ValueError):
            return False
        return True


class HmacSigner:
    """The fallback when ``cryptography`` is missing: a MAC with the signing key."""

    algorithm = "hmac-sha256"

    def __init__(self, secret: str) -> None:
        self._key = HmacKey(b"epitrace-audit-signing-v1\0" + secret.encode())
        self.key_id = self._key.key_id

    def sign(self, data: bytes) -> str:
        return self._key.mac(data)

    def verify(self, data: bytes, signature: str) -> bool:
        return hmac.compare_digest(self._key.mac(data), signature)


def _signer(secret: str) -> Signer:
    try:
        return Ed25519Signer(secret)
    except ImportError:  # pragma: no cover - cryptography ships with allauth[mfa]
        return HmacSigner(secret)


@dataclass(frozen=True)
class Keyring:
    """The current keys, and every key (current and retired) by id for verify."""

    chain: HmacKey
    signer: Signer
    chain_keys: dict[str, HmacKey]
    signers: dict[str, Signer]


def keyring() -> Keyring:
    """The keys in force; re-read only when their configuration changes."""
    names = (CHAIN_KEY, SIGNING_KEY, RETIRED_KEYS, RETIRED_SIGNING_KEYS)
    sources = tuple(conf.secret_source(name) for name in names)
    return _build(sources, str(conf.data_dir()), conf.production())


@functools.lru_cache(maxsize=8)
def _build(sources: tuple[object, ...], data_dir: str, production: bool) -> Keyring:
    chain = HmacKey(_current(CHAIN_KEY, Path(data_dir), production).encode())
    signer = _signer(_current(SIGNING_KEY, Path(data_dir), production))
    chain_keys = {k.key_id: k for k in (HmacKey(s.encode()) for s in _retired(RETIRED_KEYS))}
    chain_keys[chain.key_id] = chain
    signers = {s.key_id: s for s in map(_signer, _retired(RETIRED_SIGNING_KEYS))}
    signers[signer.key_id] = signer
    return Keyring(chain=chain, signer=signer, chain_keys=chain_keys, signers=signers)


def _current(name: str, data_dir: Path, production: bool) -> str:
    secret = conf.setting_secret(name)
    if secret is None:
        if production:
            raise ConfigurationError(f"{name} (or {name}_FILE) is required in production")
        secret = persistent_dev_secret(data_dir / _DEV_FILES[name])
    if len(secret) < _MIN_LENGTH:
        raise ConfigurationError(f"{name} must be at least {_MIN_LENGTH} characters")
    return secret


def _retired(name: str) -> list[str]:
    raw = conf.setting_secret(name) or ""
    return [part.strip() for part in raw.replace("\n", ",").split(",") if part.strip()]

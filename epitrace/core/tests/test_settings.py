"""Production settings fail loudly without secrets and pass Django's deploy checks."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

PRODUCTION = {
    "EPITRACE_ENV": "production",
    "SECRET_KEY": "x" * 64 + "-production-secret-for-the-deploy-check",
    "ALLOWED_HOSTS": "epitrace.health.example.org",
    "DATABASE_URL": "sqlite:////tmp/epitrace-deploy-check.sqlite3",
    "EPITRACE_AUDIT_KEY": "a" * 48 + "-audit-chain-key",
    "EPITRACE_AUDIT_SIGNING_KEY": "b" * 48 + "-audit-signing-key",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "t" * 32,
    "TWILIO_FROM_NUMBER": "+18605550100",
    "EPITRACE_EN_SERVER_URL": "https://en.health.example.org",
    "EPITRACE_EN_API_KEY": "e" * 32,
}


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "-m", "epitrace.cli", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_passes_check_deploy():
    result = run(PRODUCTION, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_requires_a_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = run(env, "check")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_usage_error_exits_2():
    result = run({}, "seed", "--cases", "many")
    assert result.returncode == 2

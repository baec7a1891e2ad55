"""Choose the database for ``make test`` and print its URL on stdout.

In CI (CI=true) the suite must run on the real PostgreSQL and fails when it
cannot reach it; elsewhere PostgreSQL is used when reachable and SQLite
otherwise. Which one is said on standard error.
"""

from __future__ import annotations

import os
import sys

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/epitrace"
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"


def postgres_reachable(url: str) -> str | None:
    """None when a connection works (creating the database if missing), else the reason."""
    import psycopg
    from psycopg import sql

    conninfo = url.replace("postgres://", "postgresql://", 1)
    name = conninfo.rsplit("/", 1)[-1].split("?")[0]
    try:
        with psycopg.connect(
            conninfo, connect_timeout=3, dbname="postgres", autocommit=True
        ) as conn:
            # The checks (makemigrations --check) connect to the database itself.
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


def redis_reachable(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return str(exc)
    return None


def main() -> int:
    ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_PG)
    problem = postgres_reachable(url)
    if problem is None:
        print(f"make test: using PostgreSQL at {url.split('@')[-1]}", file=sys.stderr)
        print(url)
        return 0
    if ci:
        print(f"make test: CI requires PostgreSQL at {url}: {problem}", file=sys.stderr)
        return 1
    print(f"make test: PostgreSQL not reachable ({problem}); using SQLite", file=sys.stderr)
    print("sqlite:///" + os.path.abspath("var/test.sqlite3"))
    return 0


def redis_main() -> int:
    ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    url = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS)
    problem = redis_reachable(url)
    if problem is None:
        print(url)
        return 0
    if ci:
        print(f"make test: CI requires Redis at {url}: {problem}", file=sys.stderr)
        return 1
    print(f"make test: Redis not reachable ({problem}); Redis tests will skip", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(redis_main() if sys.argv[1:] == ["redis"] else main())

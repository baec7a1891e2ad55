import os

import pytest
from huey import RedisHuey

from epitrace.core import jobs


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_database_and_job_queue(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": True, "jobs": True}


@pytest.mark.django_db
def test_readyz_is_unavailable_when_the_job_queue_is_down(client, monkeypatch):
    # A Redis huey pointed at a closed port: the real client, a real refusal.
    monkeypatch.setattr(jobs, "HUEY", RedisHuey("epitrace-test", url="redis://127.0.0.1:1/0"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["jobs"] is False


def test_job_queue_on_redis_is_reachable(monkeypatch):
    url = os.environ.get("EPITRACE_TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must provide Redis (EPITRACE_TEST_REDIS_URL)")
        pytest.skip("no Redis reachable outside CI")
    monkeypatch.setattr(jobs, "HUEY", RedisHuey("epitrace-test", url=url))
    assert jobs.job_queue_reachable()

"""TASKS_BACKEND=rq: newsletter emails queued in Redis and sent by a real RQ worker.

Each test gets its own Redis server (the machine's redis-server, on a Unix socket in a
temporary folder), so no other test run's worker can take its jobs. The worker runs as
the README starts it, in burst mode: it works until its queue is empty, then exits.
"""

import shutil
import subprocess
import tempfile
import time
from datetime import timedelta

import pytest
import redis
from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone
from rq import Queue
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from newsletter import services
from newsletter.models import Subscriber
from tests.newsletter.helpers import signup_data
from tests.thinktank.test_production_settings import (
    database_url,
    production_env,
    reserved_closed_port,
    run_manage,
)

# The worker reads what this test wrote: it must be committed, not inside a test transaction.
# serialized_rollback, as every transactional test in this suite: the flush after a plain
# transactional test re-creates content types under new ids, and a later test restoring
# the serialized rows would then collide with them.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

REDIS_START_TIMEOUT = 30  # seconds for redis-server to answer; it normally takes milliseconds
WORKER = ["rqworker", "--burst", "--with-scheduler", "--job-class", "django_tasks_rq.Job"]


@pytest.fixture
def queue_redis_url():
    """Return the URL of a Redis server of this test's own, stopped afterwards."""
    server = shutil.which("redis-server")
    assert server, "redis-server is not installed (Debian: apt-get install redis-server)"
    folder = tempfile.mkdtemp(prefix="tt-rq-")  # short: a Unix socket path has a length limit
    socket_path = f"{folder}/redis.sock"
    process = subprocess.Popen(  # noqa: S603 - the machine's redis-server, on a private socket
        [server, "--port", "0", "--unixsocket", socket_path, "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(unix_socket_path=socket_path)
    try:
        deadline = time.monotonic() + REDIS_START_TIMEOUT
        while True:
            assert process.poll() is None, "redis-server exited at start"
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not answer"
                time.sleep(0.05)
        yield f"unix://{socket_path}"
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=REDIS_START_TIMEOUT)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def rq_backend(settings, queue_redis_url):
    """TASKS and RQ_QUEUES as TASKS_BACKEND=rq sets them; return the queue in Redis."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": queue_redis_url}}
    connection = redis.Redis.from_url(queue_redis_url)
    yield Queue("default", connection=connection)
    connection.close()


def run_rq_worker(queue_redis_url, smtp_port):
    """Run the RQ worker until its queue is empty, configured as production configures it."""
    env = production_env(
        database_url(),
        DJANGO_SECRET_KEY=django_settings.SECRET_KEY,  # the links it signs must work here
        SITE_URL=django_settings.SITE_URL,
        TASKS_BACKEND="rq",
        TASKS_REDIS_URL=queue_redis_url,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
    )
    result = run_manage(*WORKER, "default", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_a_confirmation_email_queued_in_redis_is_sent_by_the_rq_worker(
    rq_backend, queue_redis_url, smtp_server
):
    services.subscribe(email="reader@example.org", source_url="/")
    assert rq_backend.count == 1

    run_rq_worker(queue_redis_url, smtp_server.port)

    [received] = smtp_server.to("reader@example.org")
    assert "/newsletter/confirm/" in received.confirm_url()
    assert rq_backend.count == 0
    assert len(FailedJobRegistry(queue=rq_backend)) == 0


def test_the_task_is_queued_only_when_the_sign_up_commits(rq_backend):
    """Queued earlier, a fast worker would look for a subscriber not yet committed."""
    with transaction.atomic():
        services.subscribe(email="reader@example.org", source_url="/")
        assert rq_backend.count == 0

    assert rq_backend.count == 1


def test_a_rolled_back_sign_up_queues_nothing(rq_backend):
    def sign_up_then_fail():
        with transaction.atomic():
            services.subscribe(email="reader@example.org", source_url="/")
            raise RuntimeError("the request failed after the sign-up")

    with pytest.raises(RuntimeError):
        sign_up_then_fail()

    assert rq_backend.count == 0
    assert not Subscriber.objects.exists()


def test_a_failed_send_is_retried_later_through_the_rq_scheduler(
    rq_backend, queue_redis_url, stopped_smtp_server
):
    services.subscribe(email="reader@example.org", source_url="/")

    run_rq_worker(queue_redis_url, stopped_smtp_server.port)  # the mail server is down

    assert stopped_smtp_server.messages == []
    assert len(FailedJobRegistry(queue=rq_backend)) == 1  # this attempt, with its traceback
    scheduled = ScheduledJobRegistry(queue=rq_backend)
    [job_id] = scheduled.get_job_ids()
    first_delay = timedelta(seconds=django_settings.NEWSLETTER_EMAIL_RETRY_DELAYS[0])
    retry_at = scheduled.get_scheduled_time(job_id)
    assert timezone.now() < retry_at <= timezone.now() + first_delay
    job = rq_backend.fetch_job(job_id)
    assert job.kwargs == {"attempt": 2}


def test_with_the_queue_down_a_sign_up_is_still_recorded_and_the_failure_logged(
    settings, client, caplog
):
    with reserved_closed_port() as closed:
        settings.TASKS = {
            "default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}
        }
        settings.RQ_QUEUES = {"default": {"URL": f"redis://127.0.0.1:{closed.getsockname()[1]}/0"}}

        response = client.post("/newsletter/", signup_data("reader@example.org"))

    assert response.status_code == 302
    assert Subscriber.objects.filter(email="reader@example.org").exists()
    assert any("on_commit" in record.getMessage() for record in caplog.records)

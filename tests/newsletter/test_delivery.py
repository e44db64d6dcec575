"""Nothing lost: sign-ups survive a mail outage, sends are retried with backoff and time out."""

import json
import os
import socket
import subprocess
import sys
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from newsletter import emails, services, tasks, tokens
from newsletter.models import ConsentRecord, Subscriber
from tests.newsletter.helpers import signup_data
from thinktank.settings import BASE_DIR, mailers_from_url

pytestmark = pytest.mark.django_db

CONFIRMATION_TASK = "newsletter.tasks.send_confirmation_email"
WELCOME_TASK = "newsletter.tasks.send_welcome_email"


def sign_up(client, address="ann@example.org"):
    return client.post(reverse("newsletter:signup"), signup_data(address))


def task_rows(task_path=CONFIRMATION_TASK):
    return list(DBTaskResult.objects.filter(task_path=task_path).order_by("enqueued_at"))


def make_retries_due():
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(
        run_after=timezone.now() - timedelta(seconds=1)
    )


def test_signup_is_saved_and_answered_normally_while_smtp_is_down(
    client, stopped_smtp_server, run_worker
):
    response = sign_up(client)

    assert response.status_code == 302
    assert response["Location"] == reverse("newsletter:check_inbox")
    subscriber = Subscriber.objects.get()
    assert ConsentRecord.objects.filter(subscriber=subscriber).count() == 1
    [task] = task_rows()
    assert task.status == TaskResultStatus.READY
    assert task.args_kwargs["args"][0] == subscriber.pk

    stopped_smtp_server.start()
    run_worker()

    [message] = stopped_smtp_server.messages
    assert message.envelope_to == ["ann@example.org"]
    assert message.confirm_url()
    run_worker()
    assert len(stopped_smtp_server.messages) == 1


def test_subscriber_consent_and_email_task_are_saved_together_or_not_at_all(monkeypatch):
    def broken_enqueue(*args, **kwargs):
        raise RuntimeError("task queue unavailable")

    real = tasks.send_confirmation_email
    broken = SimpleNamespace(enqueue=broken_enqueue, get_backend=real.get_backend)
    monkeypatch.setattr(tasks, "send_confirmation_email", broken)

    with pytest.raises(RuntimeError):
        services.subscribe(email="ann@example.org")

    assert not Subscriber.objects.exists()
    assert not ConsentRecord.objects.exists()


def test_failed_send_is_retried_later_with_the_same_message_id(
    client, stopped_smtp_server, run_worker
):
    sign_up(client)
    subscriber = Subscriber.objects.get()
    message_id = emails.confirmation_message(subscriber).extra_headers["Message-ID"]

    before = timezone.now()
    run_worker()

    first, retry = task_rows()
    assert first.status == TaskResultStatus.FAILED
    assert retry.status == TaskResultStatus.READY
    assert retry.run_after > before
    assert retry.task_path == CONFIRMATION_TASK
    assert retry.args_kwargs["args"][0] == subscriber.pk
    run_worker()  # not due yet: nothing happens
    assert DBTaskResult.objects.get(pk=retry.pk).status == TaskResultStatus.READY

    make_retries_due()
    stopped_smtp_server.start()
    run_worker()

    [message] = stopped_smtp_server.messages
    assert message.message_id == message_id
    assert DBTaskResult.objects.get(pk=retry.pk).status == TaskResultStatus.SUCCESSFUL
    run_worker()
    assert len(stopped_smtp_server.messages) == 1


def test_send_refused_by_the_server_is_retried_with_the_message_id_it_saw(
    client, smtp_server, run_worker
):
    smtp_server.reject_with = "451 4.3.0 Mailbox temporarily unavailable, try again later"
    sign_up(client)

    run_worker()

    [refused] = smtp_server.rejected
    assert smtp_server.messages == []
    assert [row.status for row in task_rows()] == [
        TaskResultStatus.FAILED,
        TaskResultStatus.READY,
    ]

    smtp_server.reject_with = None
    make_retries_due()
    run_worker()

    [delivered] = smtp_server.messages
    assert delivered.message_id == refused.message_id
    assert delivered.confirm_url() == refused.confirm_url()


def test_retries_back_off_then_give_up(client, stopped_smtp_server, run_worker):
    delays = settings.NEWSLETTER_EMAIL_RETRY_DELAYS
    assert delays == sorted(delays)
    assert len(set(delays)) == len(delays)
    sign_up(client)

    for delay in delays:
        before = timezone.now()
        run_worker()
        after = timezone.now()
        [retry] = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
        assert retry.task_path == CONFIRMATION_TASK
        assert before + timedelta(seconds=delay) <= retry.run_after
        assert retry.run_after <= after + timedelta(seconds=delay)
        make_retries_due()

    run_worker()

    assert not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()
    assert DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count() == len(delays) + 1


def test_welcome_email_is_retried_when_smtp_is_down(client, stopped_smtp_server, run_worker):
    subscriber = services.subscribe(email="ann@example.org").subscriber
    DBTaskResult.objects.all().delete()  # the confirmation email is not what this test is about
    client.post(reverse("newsletter:confirm", args=[tokens.make_confirmation_token(subscriber)]))

    run_worker()

    assert [row.status for row in task_rows(WELCOME_TASK)] == [
        TaskResultStatus.FAILED,
        TaskResultStatus.READY,
    ]
    make_retries_due()
    stopped_smtp_server.start()
    run_worker()
    [welcome] = stopped_smtp_server.messages
    assert welcome.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_retry_of_a_confirmation_is_skipped_once_the_reader_has_confirmed(
    client, stopped_smtp_server, run_worker
):
    sign_up(client)
    run_worker()  # fails, retry queued
    subscriber = Subscriber.objects.get()
    services.confirm(token=tokens.make_confirmation_token(subscriber))

    make_retries_due()
    stopped_smtp_server.start()
    run_worker()

    # The welcome email goes out; the stale confirmation does not.
    [welcome] = stopped_smtp_server.messages
    assert "List-Unsubscribe" in welcome.message


def test_signing_up_again_while_a_confirmation_is_being_retried_still_sends_one_email(
    client, stopped_smtp_server, run_worker
):
    """SMTP is down; the reader, seeing nothing arrive, signs up again after the resend
    interval. When SMTP is back, the pending retry and the fresh send must not both go out."""
    sign_up(client)
    run_worker()  # fails: a retry is queued
    interval = timedelta(seconds=settings.NEWSLETTER_RESEND_INTERVAL + 1)
    Subscriber.objects.update(confirmation_sent_at=timezone.now() - interval)
    sign_up(client)

    stopped_smtp_server.start()
    make_retries_due()
    run_worker()

    assert len(stopped_smtp_server.to("ann@example.org")) == 1


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections but never says a word, as a hung mail server."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def test_smtp_timeout_keeps_a_hung_mail_server_from_blocking_the_worker(
    client, settings, silent_server, run_worker
):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": silent_server, "timeout": 0.5},
        }
    }
    sign_up(client)

    run_worker()  # returns: the send times out instead of waiting for ever

    first, retry = task_rows()
    assert first.status == TaskResultStatus.FAILED
    assert "timed out" in first.traceback or "Timeout" in first.exception_class_path
    assert retry.status == TaskResultStatus.READY


# MAILERS from EMAIL_URL -----------------------------------------------------------------


def test_mailers_from_url_parses_smtp_with_credentials_port_and_tls():
    mailers = mailers_from_url("smtp://user:pass@mail.example.org:2525?tls=1")

    assert mailers == {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": "mail.example.org",
                "port": 2525,
                "username": "user",
                "password": "pass",
                "use_tls": True,
                "use_ssl": False,
                "timeout": 10,
            },
        }
    }


def test_mailers_from_url_always_sets_an_smtp_timeout():
    for url in ("smtp://localhost:25", "smtp://mail.example.org", "smtps://mail.example.org"):
        assert mailers_from_url(url)["default"]["OPTIONS"]["timeout"] > 0
    assert mailers_from_url("smtp://h:25?timeout=3")["default"]["OPTIONS"]["timeout"] == 3


def test_mailers_from_url_decodes_credentials_and_knows_smtps():
    options = mailers_from_url("smtps://me%40example.org:p%40ss%3Aword@mail.example.org:465")[
        "default"
    ]["OPTIONS"]

    assert options["username"] == "me@example.org"
    assert options["password"] == "p@ss:word"
    assert options["use_ssl"] is True
    assert options["use_tls"] is False
    assert options["port"] == 465


def test_mailers_from_url_parses_console():
    assert mailers_from_url("console:") == {
        "default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    }


def test_mailers_from_url_refuses_unknown_schemes(capsys):
    with pytest.raises(SystemExit):
        mailers_from_url("http://mail.example.org")

    assert "EMAIL_URL" in capsys.readouterr().err


def test_settings_build_mailers_from_email_url_and_tasks_from_tasks_backend():
    env = {
        **os.environ,
        "EMAIL_URL": "smtp://user:pass@mail.example.org:2525?tls=1",
        "TASKS_BACKEND": "database",
        "DJANGO_SETTINGS_MODULE": "thinktank.settings",
    }
    script = (
        "import json; from django.conf import settings; "
        "print(json.dumps([settings.MAILERS, settings.TASKS]))"
    )

    out = subprocess.run(  # noqa: S603 - our own interpreter, a fixed script
        [sys.executable, "-c", script], env=env, cwd=BASE_DIR, capture_output=True, check=True
    )

    mailers, task_backends = json.loads(out.stdout)
    assert mailers == mailers_from_url("smtp://user:pass@mail.example.org:2525?tls=1")
    assert task_backends == {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

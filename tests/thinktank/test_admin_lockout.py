"""Admin brute-force protection (django-axes): lock a username out from an address after
AXES_FAILURE_LIMIT failures, for AXES_COOLOFF_TIME; everyone else keeps logging in."""

from datetime import timedelta

import axes.utils
import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db.models import F
from django.test import Client

from tests.helpers import text_of

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple-42"
WRONG = "not-the-password-at-all"
LOGIN = "/admin/login/?next=/admin/"
LOCKED_STATUS = 429  # django-axes' AXES_HTTP_RESPONSE_CODE default, unchanged in settings


@pytest.fixture(autouse=True)
def _clean_axes(settings):
    # A fast hasher: each test checks a dozen passwords; lockout does not depend on the hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    axes.utils.reset()
    yield
    axes.utils.reset()


@pytest.fixture
def staff(django_user_model):
    """Two staff members with admin access."""
    return {
        name: django_user_model.objects.create_superuser(name, f"{name}@example.org", PASSWORD)
        for name in ("alice", "bob")
    }


def log_in(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def is_logged_in(client):
    return client.get("/admin/").status_code == 200


def fail(client, username, times):
    for attempt in range(times):
        response = log_in(client, username, WRONG)
        if attempt < settings.AXES_FAILURE_LIMIT - 1:
            assert response.status_code == 200, f"attempt {attempt + 1}"
            assert "Please enter the correct username and password" in text_of(response)
    return response


def assert_lockout_page(response):
    assert response.status_code == LOCKED_STATUS
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    text = text_of(page)
    assert "Policy Network" in text
    assert 'class="site-header"' in page
    assert "Too many failed logins" in text
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    assert f"{minutes} minutes" in text
    assert "Traceback" not in page
    assert "axes" not in text.lower()
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Request-ID"]


def test_the_limit_and_cool_off_are_configured():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_after_five_failures_even_the_right_password_gets_the_lockout_page(client, staff):
    fail(client, "alice", 5)

    response = log_in(client, "alice", PASSWORD)

    assert_lockout_page(response)
    assert not is_logged_in(client)


def test_four_failures_do_not_lock_the_account(client, staff):
    fail(client, "alice", 4)

    response = log_in(client, "alice", PASSWORD)

    assert response.status_code == 302
    assert is_logged_in(client)


def test_other_users_from_the_same_address_keep_logging_in(client, staff):
    fail(client, "alice", 5)
    assert_lockout_page(log_in(client, "alice", PASSWORD))

    response = log_in(Client(), "bob", PASSWORD)  # same REMOTE_ADDR, 127.0.0.1

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_the_same_user_from_another_address_keeps_logging_in(client, staff):
    fail(client, "alice", 5)
    elsewhere = Client(REMOTE_ADDR="192.0.2.44")

    response = log_in(elsewhere, "alice", PASSWORD)

    assert response.status_code == 302
    assert is_logged_in(elsewhere)


def test_failures_for_another_username_do_not_count(client, staff):
    fail(client, "alice", 5)

    response = log_in(client, "bob", WRONG)

    assert response.status_code == 200
    assert "Please enter the correct username and password" in text_of(response)


def age_attempts(by):
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - by)


def test_the_lockout_lasts_for_the_cool_off(client, staff):
    fail(client, "alice", 5)
    age_attempts(settings.AXES_COOLOFF_TIME - timedelta(minutes=1))

    response = log_in(client, "alice", PASSWORD)

    assert_lockout_page(response)


def test_after_the_cool_off_the_user_logs_in_again(client, staff):
    fail(client, "alice", 5)
    assert_lockout_page(log_in(client, "alice", PASSWORD))
    age_attempts(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))

    response = log_in(client, "alice", PASSWORD)

    assert response.status_code == 302
    assert is_logged_in(client)


def test_a_successful_login_resets_the_count(client, staff):
    fail(client, "alice", 4)
    assert log_in(client, "alice", PASSWORD).status_code == 302
    client.post("/admin/logout/")
    fail(client, "alice", 4)

    response = log_in(client, "alice", PASSWORD)

    assert response.status_code == 302
    assert is_logged_in(client)


def test_a_locked_out_ajax_login_gets_json_not_a_page(client, staff):
    fail(client, "alice", 5)

    response = client.post(
        LOGIN,
        {"username": "alice", "password": PASSWORD},
        headers={"X-Requested-With": "XMLHttpRequest"},
    )

    assert response.status_code == LOCKED_STATUS
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("password", ["password", "12345678", "alice2024", "short"])
def test_staff_passwords_go_through_djangos_validators(staff, password):
    with pytest.raises(ValidationError):
        password_validation.validate_password(password, user=staff["alice"])

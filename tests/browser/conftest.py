"""Browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

Playwright's sync API runs an event loop in the test thread, so Django's async-safety check
would refuse the ORM calls tests make to set up data; the test thread never runs async code
of its own, so switching the check off here is safe.
"""

import importlib
import os
import re
from pathlib import Path

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "1")

import pytest  # noqa: E402
from django.apps import apps as django_apps  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PASSWORD = "correct-horse-battery-staple-42"
ROLES = ("Editor", "Contributor")
DEFAULT_TIMEOUT_MS = 10_000

MUTUALISM_SLUG = "mutualism-social-democratic-policy-in-an-age-of-austerity"
MUTUALISM_TITLE = "Mutualism: social democratic policy in an age of austerity"
# The seed's essays, in the series' reading order, with their bylines.
MUTUALISM_ESSAYS = [
    ("The new wave of mutuality", ["Robin Murray"]),
    ("The rise of community wealth-building institutions", ["Joe Guinan"]),
    ("Beyond mutualism and towards “The Big Economy”", ["Adam Lent"]),
    ("Bringing mutualism back into business", ["William Davies"]),
    ("Mutualism as a means to a bigger society", ["Anthony Painter"]),
    ("A real version of mutualism for the left", ["Michael Stephenson"]),
    ("Mutual councils as antidotes to populism", ["Martien Kuitenbrouwer"]),
    ("Investing in the mutualisation of public services", ["Richard Todd", "Ben Williams"]),
]


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser, live_server):
    """Return a factory of fresh browser contexts on the live server; all closed afterwards."""
    contexts = []

    def make(**kwargs):
        kwargs.setdefault("base_url", live_server.url)
        context = browser.new_context(**kwargs)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context) -> Page:
    """Return a page in a context of its own (no cookies shared with other tests)."""
    return new_context().new_page()


@pytest.fixture
def demo_content(transactional_db):
    call_command("load_demo_content", verbosity=0)


@pytest.fixture(scope="session")
def screenshots_dir():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def ensure_roles():
    """Make sure the Editor and Contributor groups exist, with their permissions.

    A data migration creates them, but transactional tests flush every table after each
    test, so from the second test on they are gone: recreate them with the migration's code.
    """
    if Group.objects.filter(name__in=ROLES).count() == len(ROLES):
        return
    migration = importlib.import_module("thinktank.migrations.0002_editorial_roles")
    # create_roles toggles `models_module` on each app config; on the global registry that
    # would stop later post_migrate handlers (run after each flush), so put them back.
    saved = {config.label: config.models_module for config in django_apps.get_app_configs()}
    try:
        migration.create_roles(django_apps, None)
    finally:
        for config in django_apps.get_app_configs():
            config.models_module = saved[config.label]


def create_staff_user(username, role):
    """Return a staff user in the `role` group, whose password is PASSWORD."""
    ensure_roles()
    user = User.objects.create_user(
        username, email=f"{username}@example.org", password=PASSWORD, is_staff=True
    )
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def editor(transactional_db):
    return create_staff_user("edith", "Editor")


@pytest.fixture
def contributor(transactional_db):
    return create_staff_user("connor", "Contributor")


def log_in(page: Page, user, password=PASSWORD):
    """Log in through the admin's own login form, as a person would."""
    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.locator("#user-tools")).to_contain_text(user.username)

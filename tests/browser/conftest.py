"""Browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

Playwright's sync API runs an event loop in the test thread, so Django's async-safety check
would refuse the ORM calls tests make to set up data; the test thread never runs async code
of its own, so switching the check off here is safe.
"""

import os
import re
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "1")

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader
from playwright.sync_api import Page, expect, sync_playwright

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
# The screen sizes accessibility checks run at (parametrize tests with `VIEWPORTS`).
VIEWPORTS = {
    "phone": {"width": 375, "height": 740},
    "desktop": {"width": 1280, "height": 900},
}

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
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Give the browser suite a test database of its own.

    Transactional tests flush every table after each test; a server-side run going on at
    the same time on the shared `test_<name>` database would collide with those flushes.
    """
    from django.conf import settings

    for db_settings in settings.DATABASES.values():
        if db_settings["ENGINE"] == "django.db.backends.sqlite3":
            continue
        test_settings = db_settings.setdefault("TEST", {})
        test_name = test_settings.get("NAME") or f"test_{db_settings['NAME']}"
        test_settings["NAME"] = f"{test_name}_browser"


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


@pytest.fixture(scope="module")
def axe():
    """axe-core, to run on a Playwright page: `axe.run(page).violations_count`."""
    return Axe()


@pytest.fixture(scope="session")
def screenshots_dir():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def roles_migration():
    """Return the module of the data migration that defines `create_roles`, wherever it lives."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for migration in loader.disk_migrations.values():
        module = sys.modules[type(migration).__module__]
        if hasattr(module, "create_roles"):
            return module
    raise LookupError("No migration defines create_roles(): where are the editorial roles?")


def ensure_roles():
    """Make sure the Editor and Contributor groups exist, with their permissions.

    A data migration creates them, but transactional tests flush every table after each
    test, so from the second test on they are gone: recreate them with the migration's code.
    """
    if Group.objects.filter(name__in=ROLES).count() == len(ROLES):
        return
    # create_roles toggles `models_module` on each app config; on the global registry that
    # would stop later post_migrate handlers (run after each flush), so put them back.
    saved = {config.label: config.models_module for config in django_apps.get_app_configs()}
    try:
        roles_migration().create_roles(django_apps, None)
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


def choose_autocomplete(page: Page, select_id: str, search: str, option: str):
    """Pick `option` in the admin's select2 autocomplete widget for `<select id=select_id>`."""
    page.locator(f"#{select_id} + .select2-container").click()
    page.locator(".select2-container--open .select2-search__field").fill(search)
    page.locator(".select2-container--open").get_by_role("option", name=option, exact=True).click()
    expect(page.locator(f"#select2-{select_id}-container")).to_contain_text(option)


def rich_text_editor(page: Page, field: str):
    """Return the WYSIWYG editor (ProseMirror's contenteditable) of the admin field `field`."""
    return page.locator(f".prose-editor:has(#id_{field}) .ProseMirror[contenteditable=true]")


def type_rich_text(page: Page, field: str, *paragraphs: str):
    """Type `paragraphs` into the field's WYSIWYG editor, pressing Enter between them."""
    editor = rich_text_editor(page, field)
    editor.click()
    for number, paragraph in enumerate(paragraphs):
        if number:
            page.keyboard.press("Enter")
        page.keyboard.type(paragraph)
    expect(editor).to_contain_text(paragraphs[-1])


def save_admin_form(page: Page):
    """Click Save and check the admin says it worked."""
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()

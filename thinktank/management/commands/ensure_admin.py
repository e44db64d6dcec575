"""Create the local admin user for `make run`, and print how to log in."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

CREDENTIALS_FILE = settings.VAR_DIR / "admin-credentials.txt"


class Command(BaseCommand):
    help = "Create an 'admin' superuser (in the Editor group) if missing and print its login."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None or not CREDENTIALS_FILE.exists():
            password = secrets.token_urlsafe(12)
            user = user or User(username=username, email=f"{username}@localhost")
            user.is_staff = user.is_superuser = True
            user.set_password(password)
            user.save()
            user.groups.add(Group.objects.get(name="Editor"))
            CREDENTIALS_FILE.parent.mkdir(parents=True, exist_ok=True)
            CREDENTIALS_FILE.write_text(f"{username}\n{password}\n")
            CREDENTIALS_FILE.chmod(0o600)
        username, password = CREDENTIALS_FILE.read_text().split()
        self.stdout.write(
            self.style.SUCCESS(
                f"Admin login: {settings.SITE_URL}/admin/  user: {username}  password: {password}"
            )
        )

import re
import pytest
from django.contrib.auth.models import Group, User
from tests.factories import EssayFactory, SeriesFactory, AuthorFactory

@pytest.mark.django_db
def test_a(client):
    u = User.objects.create_user("ed", is_staff=True)
    u.groups.add(Group.objects.get(name="Editor"))
    client.force_login(u)
    r = client.get("/admin/essays/essay/add/")
    html = r.content.decode()
    print(r.status_code)
    print(sorted(set(re.findall(r'name="([^"]+)"', html))))
    print(r.context["adminform"].form.fields.keys())

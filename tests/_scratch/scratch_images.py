from io import BytesIO
from PIL import Image
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.storage import default_storage
from tests.factories import EssayFactory
import pytest

def img(name="hero.jpg", size=(2000, 1000), fmt="JPEG"):
    buf = BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, fmt)
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")

@pytest.mark.django_db
def test_x(client, settings):
    e = EssayFactory()
    from django.core.files.base import ContentFile
    e.hero_image.save("hero.jpg", ContentFile(img().read()), save=False)
    e.hero_alt = "A red square"
    e.save()
    e.refresh_from_db()
    print(e.hero_image.name, e.hero_width, e.hero_height, e.hero_renditions)
    print(settings.MEDIA_ROOT, default_storage.location)
    for s in e.hero_renditions["sources"]:
        print(s, default_storage.exists(s["name"]))
    e.save()
    e.refresh_from_db()
    print(e.hero_renditions)
    r = client.get(e.get_absolute_url())
    print([l for l in r.content.decode().splitlines() if "<img" in l])

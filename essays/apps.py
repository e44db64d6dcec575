from django.apps import AppConfig


class EssaysConfig(AppConfig):
    name = "essays"

    def ready(self):
        from essays import signals  # noqa: F401 - connects the search-document receivers

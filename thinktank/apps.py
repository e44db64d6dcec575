from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save


class ThinktankConfig(AppConfig):
    name = "thinktank"
    verbose_name = "Site"

    def ready(self):
        from series.signals import content_changed_in_bulk
        from thinktank.pagecache import content_changed, content_signal_receiver

        # Any content model's change, whichever app it is in, makes cached pages stale.
        for signal in (post_save, post_delete, m2m_changed):
            signal.connect(content_signal_receiver, dispatch_uid=f"pagecache-{id(signal)}")
        content_changed_in_bulk.connect(
            lambda **kwargs: content_changed(), weak=False, dispatch_uid="pagecache-bulk"
        )

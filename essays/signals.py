"""Keep stored search documents current when anything they are made of changes."""

import secrets

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from taggit.models import Tag

from essays import search
from essays.models import Author, Essay, EssayAuthor, TaggedEssay
from series.models import Series, TaggedSeries


@receiver(post_save, sender=Essay)
def essay_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        search.refresh_essays([instance.pk])


@receiver(post_save, sender=Series)
def series_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        search.refresh_series([instance.pk])


@receiver([post_save, post_delete], sender=EssayAuthor)
def byline_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        search.refresh_essays([instance.essay_id])


@receiver(post_save, sender=Author)
def author_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        search.refresh_essays(instance.bylines.values_list("essay_id", flat=True))


@receiver(m2m_changed, sender=TaggedEssay)
def essay_topics_changed(sender, instance, action, **kwargs):
    if action.startswith("post_"):
        search.refresh_essays([instance.pk])


@receiver(m2m_changed, sender=TaggedSeries)
def series_topics_changed(sender, instance, action, **kwargs):
    if action.startswith("post_"):
        search.refresh_series([instance.pk])


@receiver(post_save, sender=Tag)
def topic_renamed(sender, instance, raw=False, created=False, **kwargs):
    if raw or created:
        return
    search.refresh_essays(
        TaggedEssay.objects.filter(tag=instance).values_list("content_object_id", flat=True)
    )
    search.refresh_series(
        TaggedSeries.objects.filter(tag=instance).values_list("content_object_id", flat=True)
    )


@receiver(post_delete, sender=TaggedEssay)
def essay_topic_deleted(sender, instance, **kwargs):
    # A topic deleted in the admin removes its links by cascade, without m2m_changed.
    search.refresh_essays([instance.content_object_id])


@receiver(post_delete, sender=TaggedSeries)
def series_topic_deleted(sender, instance, **kwargs):
    search.refresh_series([instance.content_object_id])


@receiver(pre_save, sender=Tag)
def topic_needs_a_slug(sender, instance, **kwargs):
    # A name with nothing slugify keeps (an emoji, punctuation) would get an empty slug,
    # and its page no URL.
    if not instance.slug:
        instance.slug = f"topic-{secrets.token_hex(4)}"

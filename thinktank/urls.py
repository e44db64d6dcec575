from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from thinktank import sitemaps, views

admin.site.site_header = "Thinktank editorial"
admin.site.site_title = "Thinktank"
admin.site.index_title = "Content"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("", include("essays.urls")),
    path("series/", include("series.urls")),
    path("newsletter/", include("newsletter.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("sitemap.xml", sitemaps.index, name="sitemap"),
    path("sitemap-<section>.xml", sitemaps.section, name="sitemap-section"),
    path("admin/", admin.site.urls),
]

handler400 = views.bad_request
handler403 = views.permission_denied
handler404 = views.page_not_found
handler500 = views.server_error

if settings.SERVE_MEDIA:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

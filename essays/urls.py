from django.urls import path

from essays import views

app_name = "essays"
urlpatterns = [
    path("ideas/", views.IdeasView.as_view(), name="ideas"),
    path("essays/<slug:slug>/", views.EssayDetailView.as_view(), name="detail"),
    path("authors/<slug:slug>/", views.AuthorDetailView.as_view(), name="author"),
    path("topics/<slug:slug>/", views.TopicDetailView.as_view(), name="topic"),
]

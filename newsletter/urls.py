from django.urls import path

from newsletter import views

app_name = "newsletter"
urlpatterns = [
    path("", views.signup, name="signup"),
    path("check-your-inbox/", views.check_inbox, name="check_inbox"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("welcome/", views.welcome, name="welcome"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]

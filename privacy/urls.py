from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("", views.notice, name="notice"),
    path("forget/", views.forget, name="forget"),
]

from django.urls import path

from books import views

app_name = "books"

urlpatterns = [
    path("", views.search, name="search"),
    path("books/<int:pk>/", views.book_detail, name="detail"),
    path("favicon.ico", views.favicon, name="favicon"),
]

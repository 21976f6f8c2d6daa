from django.urls import path

from nonconformities import views

app_name = "nonconformities"

urlpatterns = [
    path("", views.register, name="register"),
    path("<int:pk>/", views.detail, name="detail"),
]

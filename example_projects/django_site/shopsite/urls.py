"""URLs of the example shop site."""

from django.urls import path
from shop import views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
]

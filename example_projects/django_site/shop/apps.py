"""The shop app."""

from django.apps import AppConfig


class ShopConfig(AppConfig):
    """The example shop: its mail lives in ``shop.mail``."""

    name = "shop"

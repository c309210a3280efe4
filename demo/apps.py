from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data (``manage.py seed_demo``): it may import every app; no app imports it."""

    name = "demo"

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo and benchmark data (``manage.py seed_demo``, ``manage.py generate_demo``): tooling, no models.

    It sits above every app whose rows it writes, so that none of them (accounts least of all) imports it.
    """

    name = "demo"

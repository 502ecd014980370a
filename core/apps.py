from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Cross-app plumbing with no tables of its own: seed loading and management commands."""

    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Registers the OpenAPI extension of the API's related-record fields.
        import config.schema  # noqa: F401

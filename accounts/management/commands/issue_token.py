import argparse
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from knox.models import AuthToken
from knox.settings import knox_settings


def positive_hours(value: str) -> int:
    hours = int(value)
    if hours < 1:
        raise argparse.ArgumentTypeError("a token lives at least one hour")
    return hours


class Command(BaseCommand):
    help = "Issue an API token for a user and print it (it is stored hashed and cannot be shown again)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--hours",
            type=positive_hours,
            default=None,
            help="Lifetime in hours (default: REST_KNOX's TOKEN_TTL, API_TOKEN_TTL_HOURS).",
        )

    def handle(self, *args, username: str, hours: int | None, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {username!r}.")
        lifetime = timedelta(hours=hours) if hours is not None else knox_settings.TOKEN_TTL
        instance, token = AuthToken.objects.create(user=user, expiry=lifetime)
        self.stdout.write(token)
        until = f"valid until {instance.expiry:%Y-%m-%d %H:%M %Z}" if instance.expiry else "never expires"
        self.stderr.write(f"Token for {username}, {until}.")

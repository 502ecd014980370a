from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from knox.models import AuthToken


class Command(BaseCommand):
    help = "Issue an API token for a user and print it (it is stored hashed and cannot be shown again)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--hours", type=int, default=None, help="Lifetime in hours (default: REST_KNOX TTL).")

    def handle(self, *args, username: str, hours: int | None, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {username!r}.")
        kwargs = {"expiry": timedelta(hours=hours)} if hours else {}
        instance, token = AuthToken.objects.create(user=user, **kwargs)
        self.stdout.write(token)
        self.stderr.write(f"Token for {username}, valid until {instance.expiry:%Y-%m-%d %H:%M %Z}.")

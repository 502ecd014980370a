"""Make sure a local administrator account exists, without ever overwriting one silently."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from config.settings.base import env


class Command(BaseCommand):
    help = (
        "Create the administrator named by DJANGO_SUPERUSER_USERNAME (default 'admin') if missing. "
        "Its password is DJANGO_SUPERUSER_PASSWORD, or a generated one printed once. When the "
        "variable is set, an existing account's password is reset to it."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        username = env("DJANGO_SUPERUSER_USERNAME", default="admin")
        password = env("DJANGO_SUPERUSER_PASSWORD", default="")
        email = env("DJANGO_SUPERUSER_EMAIL", default="")
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first()
        if user is None:
            generated = not password
            password = password or secrets.token_urlsafe(18)
            user_model.objects.create_superuser(username=username, email=email, password=password)
            if generated:
                self.stdout.write(
                    self.style.WARNING(
                        f"Created administrator '{username}' with generated password: {password}\n"
                        "It is shown only this once; set DJANGO_SUPERUSER_PASSWORD to choose your own."
                    )
                )
            else:
                self.stdout.write(f"Created administrator '{username}' (password from DJANGO_SUPERUSER_PASSWORD).")
            return
        if password and not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
            self.stdout.write(f"Administrator '{username}' exists; password reset from DJANGO_SUPERUSER_PASSWORD.")
        else:
            self.stdout.write(f"Administrator '{username}' exists; unchanged.")

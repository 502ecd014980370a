from django.core.management.base import BaseCommand

from core.seed import seed_load


class Command(BaseCommand):
    help = "Load the seed data in fixtures/*.yaml. Idempotent: a second run changes nothing."

    def handle(self, *args, **options):
        report = seed_load()
        verdict = "changed" if report.changed else "already up to date"
        self.stdout.write(f"Seed data {verdict}: {report.summary()}")

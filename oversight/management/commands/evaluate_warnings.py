"""`manage.py evaluate_warnings`: judge every project by the warning rules (idempotent; run it on a schedule)."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandParser

from oversight.services import evaluate_warnings


class Command(BaseCommand):
    help = (
        "Open, refresh and resolve the projects' warnings by the rules of their regions (or the defaults). "
        "Idempotent: run it daily, e.g. from cron."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="Evaluate as of this date (YYYY-MM-DD) instead of today.",
        )

    def handle(self, *args, today: datetime.date | None = None, **options) -> None:
        result = evaluate_warnings(today=today)
        self.stdout.write(
            f"{result.opened} opened, {result.kept} still open, {result.resolved} resolved in {result.seconds:.2f} s"
        )

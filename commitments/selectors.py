"""The derived verdicts on commitments (issue 23): a service that reads them set-wise, never row by row."""

from django.db.models import QuerySet

from commitments.models import Compliance


def compliance(*, status: str | None = None) -> QuerySet[Compliance]:
    """The verdict on each commitment for each period, as the database view `commitments_compliance` works it
    out (the rules: `commitments.models.Compliance`), with the commitment and the project of each row joined:
    one statement for any number of rows."""
    queryset = Compliance.objects.select_related("commitment", "project").order_by("id")
    if status:
        queryset = queryset.filter(status=status)
    return queryset

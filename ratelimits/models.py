from django.db import models


class Window(models.Model):
    """One client's requests in one scope, counted in a fixed window (api.throttling.count_request).

    Written by one raw statement, never through the ORM; the model is here for its table and migrations.
    """

    key = models.TextField(primary_key=True)
    hits = models.PositiveIntegerField()
    ends = models.DateTimeField()

    class Meta:
        db_table = "ratelimits_window"

    def __str__(self) -> str:
        return f"{self.key}: {self.hits} until {self.ends:%H:%M:%S}"

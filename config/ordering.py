"""Ordering with a stable tiebreak (imported by settings, so it must not import DRF views)."""

from rest_framework import filters


class StableOrderingFilter(filters.OrderingFilter):
    """`?ordering=` over the view's `ordering_fields`, always ending in `id` so pages never overlap."""

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if not any(term.lstrip("-") in {"id", "pk"} for term in ordering):
            ordering.append("id")
        return ordering

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        fields = [name for name, _label in self.get_valid_fields(view.get_queryset(), view, {"request": None})]
        for param in params:
            param["description"] = (
                f"Sort by one or more of: {', '.join(fields)} (prefix `-` for descending, comma-separated). "
                "Ties are broken by id."
            )
            param["schema"] = {"type": "string"}
        return params

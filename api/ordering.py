"""Ordering with a stable tiebreak (imported by settings, so it must not import DRF views)."""

from django.utils.translation import gettext as _
from rest_framework import filters
from rest_framework.exceptions import ValidationError


class StableOrderingFilter(filters.OrderingFilter):
    """`?ordering=` over the view's `ordering_fields`, always ending in `id` so pages never overlap.

    An unknown field is a 400 naming `ordering`, like any other unreadable parameter, rather than
    a silently different order.
    """

    def get_ordering(self, request, queryset, view):
        requested = self.get_requested_ordering(request, queryset, view)
        # Without ?ordering, keep the order the view's queryset states (name, code, ...).
        ordering = list(requested or queryset.query.order_by or queryset.model._meta.ordering or [])
        if not any(term.lstrip("-") in {"id", "pk"} for term in ordering):
            # The tiebreak runs the way the last term does, so that one index on (field, id) serves the
            # order both ways (scanned backwards for `-field`) instead of sorting every tie.
            descending = bool(ordering) and str(ordering[-1]).startswith("-")
            ordering.append("-id" if descending else "id")
        return ordering

    def get_requested_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            fields = [param.strip() for param in params.split(",")]
            return self.remove_invalid_fields(queryset, fields, view, request)
        return getattr(view, "ordering", None)

    def get_valid_fields(self, queryset, view, context=None):
        # `id`, the tiebreak of every order, may always be asked for.
        fields = list(super().get_valid_fields(queryset, view, context or {}))
        if not any(name in {"id", "pk"} for name, _label in fields):
            fields.append(("id", "id"))
        return fields

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = [name for name, _label in self.get_valid_fields(queryset, view, {"request": request})]
        terms = [term for term in fields if term]
        unknown = [term for term in terms if term.removeprefix("-") not in valid]
        if unknown:
            raise ValidationError(
                {
                    self.ordering_param: [
                        _("Cannot sort by %(fields)s; choose from %(choices)s.")
                        % {"fields": ", ".join(unknown), "choices": ", ".join(valid)}
                    ]
                }
            )
        return terms

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        fields = [name for name, _label in self.get_valid_fields(view.get_queryset(), view, {"request": None})]
        for param in params:
            param["description"] = (
                f"Sort by one or more of: {', '.join(fields)} (prefix `-` for descending, comma-separated). "
                "Ties are broken by id, in the direction of the last field; an unknown field is refused with 400."
            )
            param["schema"] = {"type": "string"}
        return params

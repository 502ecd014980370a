"""What a browser posts back from an admin change page, for tests that save admin forms."""

from __future__ import annotations

from typing import Any


def posted_back(response, **changes: Any) -> dict[str, Any]:
    """What the browser posts when the change page in `response` is saved with `changes` made."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data: dict[str, Any] = {"_save": "Save"}
    for form in forms:
        for field in form:
            value = field.value()
            if isinstance(value, bool):
                value = "on" if value else None
            if isinstance(value, list):
                value = [str(item) for item in value]
            if value is not None:
                data[field.html_name] = value
    return data | changes

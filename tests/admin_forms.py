"""What a browser posts back from an admin change page, for tests that save admin forms."""

from __future__ import annotations

from html.parser import HTMLParser
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


class _FormControls(HTMLParser):
    """The successful controls of one <form>, read from the page's HTML as a browser reads them."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.in_form = False
        self.controls: list[tuple[str, str]] = []
        self._select: dict[str, Any] | None = None
        self._option: dict[str, Any] | None = None
        self._textarea: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value if value is not None else "" for key, value in attrs}
        if tag == "form":
            self.in_form = attr.get("id") == self.form_id
            return
        if not self.in_form or "disabled" in attr:
            return
        name = attr.get("name")
        if tag == "input" and name:
            kind = attr.get("type", "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in attr:
                    self.controls.append((name, attr.get("value", "on")))
                return
            self.controls.append((name, attr.get("value", "")))
        elif tag == "select" and name:
            self._select = {"name": name, "multiple": "multiple" in attr, "options": []}
        elif tag == "option" and self._select is not None:
            self._option = {"value": attr.get("value"), "selected": "selected" in attr, "text": ""}
            self._select["options"].append(self._option)
        elif tag == "textarea" and name:
            self._textarea = {"name": name, "text": ""}

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea["text"] += data
        elif self._option is not None:
            self._option["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.in_form = False
        elif tag == "option":
            self._option = None
        elif tag == "select" and self._select is not None:
            options = self._select["options"]
            chosen = [option for option in options if option["selected"]]
            if not chosen and options and not self._select["multiple"]:
                chosen = options[:1]  # a single select with nothing selected submits its first option
            for option in chosen:
                value = option["value"] if option["value"] is not None else option["text"].strip()
                self.controls.append((self._select["name"], value))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # HTML drops one newline right after <textarea>, and a form submits line breaks as CRLF.
            text = self._textarea["text"].removeprefix("\n")
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
            self.controls.append((self._textarea["name"], text))
            self._textarea = None


def submitted(response, **changes: Any) -> dict[str, Any]:
    """What a browser submits from the admin change page in `response`, read from its HTML (not from the
    form objects), with `changes` typed in: what the server sent back as a browser sends it, CRLF line
    breaks, formatted amounts and dates, the inlines' hidden template rows and all."""
    opts = response.context["opts"]
    reader = _FormControls(f"{opts.model_name}_form")
    reader.feed(response.content.decode())
    data: dict[str, Any] = {}
    for name, value in reader.controls:
        data.setdefault(name, []).append(value)
    flat = {name: values[0] if len(values) == 1 else values for name, values in data.items()}
    return {**flat, "_save": "Save", **changes}

"""A filter set built for a request has filters and form fields of its own, although the class's filters and
form class are built once (api/filters.py: copying them deeply for every list cost 5 ms of CPU)."""

from __future__ import annotations

import pytest

from projects.filters import ProjectFilterSet
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def test_each_filter_set_owns_its_filters_and_the_class_keeps_its_own_untouched():
    first, second = ProjectFilterSet({"search": "alpha"}), ProjectFilterSet({"search": "beta"})

    assert first.filters["search"] is not second.filters["search"]
    assert first.filters["search"].parent is first
    assert second.filters["search"].parent is second
    assert getattr(ProjectFilterSet.base_filters["search"], "parent", None) is None


def test_filter_sets_share_one_form_class_but_not_its_fields():
    first, second = ProjectFilterSet({"stage": "signed"}), ProjectFilterSet({"stage": "landed"})

    assert type(first.form) is type(second.form)
    assert first.form.fields["stage"] is not second.form.fields["stage"]
    assert first.form.fields["stage"].widget is not second.form.fields["stage"].widget
    assert first.form.fields["stage"].error_messages is not second.form.fields["stage"].error_messages


def test_a_field_changed_on_one_form_is_unchanged_on_the_next():
    first = ProjectFilterSet({"region": "330000"})
    first.form.fields["region"].defer_lookup = True
    first.form.fields["region"].widget.attrs["class"] = "changed"
    second = ProjectFilterSet({"region": "330000"})

    assert not getattr(second.form.fields["region"], "defer_lookup", False)
    assert "class" not in second.form.fields["region"].widget.attrs


def test_method_filters_of_two_filter_sets_answer_each_its_own_question():
    alpha, beta = ProjectFactory(name="Alpha fibre plant"), ProjectFactory(name="Beta chip plant")
    first, second = ProjectFilterSet({"search": "alpha"}), ProjectFilterSet({"search": "beta"})

    assert list(first.qs) == [alpha]
    assert list(second.qs) == [beta]

"""Commitments in the admin: their own pages, in Chinese, with the actuals inline."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import CommitmentObservationFactory

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def test_a_commitment_opens_in_chinese_with_its_actuals_inline(admin_client):
    observation = CommitmentObservationFactory()

    page = admin_client.get(reverse("admin:commitments_commitment_change", args=[observation.commitment.pk]), **ZH)

    text = page.content.decode()
    assert page.status_code == 200
    for label in ("亩均税收", "万元/亩·年", "用地面积", "违约处理", "承诺实绩", "不低于"):
        assert label in text, label


@pytest.mark.parametrize("name", ["commitment", "commitmentobservation"])
def test_the_changelists_and_add_pages_open(admin_client, name):
    CommitmentObservationFactory()

    for page in ("changelist", "add"):
        assert admin_client.get(reverse(f"admin:commitments_{name}_{page}"), **ZH).status_code == 200


def test_a_wrong_unit_is_refused_by_the_admin_form_with_the_unit_that_fits(admin_client):
    observation = CommitmentObservationFactory()
    commitment = observation.commitment
    url = reverse("admin:commitments_commitment_change", args=[commitment.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update(
        {
            "project": commitment.project.pk,
            "citation": commitment.citation.pk,
            "unit": "wan_yuan_per_mu",
            "observations-TOTAL_FORMS": "0",
            "observations-INITIAL_FORMS": "0",
        }
    )

    response = admin_client.post(url, data, **ZH)

    assert response.status_code == 200
    assert "万元/亩·年" in str(response.context["adminform"].form.errors["unit"])

"""Money and dates as data-entry staff write them (issue 6, point 2), and the admin around them:
amounts typed in yuan, 万 or 亿 and shown in 万元 and 亿元 alongside; a month typed as `2024-07`;
a language switcher; a record of another region that says why it is read-only.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.roles import Role
from core.choices import DatePrecision
from core.forms import (
    MoneyField,
    MultilineTextField,
    PartialDate,
    PartialDateField,
    format_partial_date,
    money_in_units,
    parse_money,
    parse_partial_date,
)
from core.seed import seed_load
from projects.models import Milestone, Project
from regions.models import Region
from tests.accounts import for_the_module, user_with_role
from tests.admin_forms import posted_back

KELUN = "kelun-longquan-high-end-preparation-health-food"
BAIQIAO = "baiqiao-beautiful-healthy-project-1"
LIANDU = "331102"

#
# Money
#


@pytest.mark.parametrize(
    ("typed", "yuan"),
    [
        ("2000000000", "2000000000"),
        ("2,000,000,000.00", "2000000000.00"),
        ("20亿", "2000000000"),
        ("20 亿元", "2000000000"),
        ("2.95亿元", "295000000.00"),
        ("5000万", "50000000"),
        ("5000 万元", "50000000"),
        ("¥1,234.5", "1234.5"),
        ("1\uff0c234\uff0e5", "1234.5"),  # full-width comma and full stop
        ("\uff15\uff0e\uff16亿元", "560000000.0"),  # full-width digits, as a Chinese input method types them
        ("\uff15\uff0c\uff16\uff10\uff10万元", "56000000"),
        ("\uffe5\uff11\uff12\uff13\uff14", "1234"),
        ("\uff15\u3000亿", "500000000"),  # a full-width space before the unit
        ("0.01", "0.01"),
        ("1.2345万", "12345.0000"),
    ],
)
def test_an_amount_is_read_exactly_however_it_is_written(typed, yuan):
    assert parse_money(typed) == Decimal(yuan)


@pytest.mark.parametrize("typed", ["", "abc", "20 亿美元", "2,00,0", "1e9", "-5", "20亿亿", "NaN", "1.5.2"])
def test_what_is_not_an_amount_is_not_read_as_one(typed):
    assert parse_money(typed) is None


def test_two_billion_yuan_reads_twenty_yi_and_two_hundred_thousand_wan():
    assert money_in_units(Decimal("2000000000.00")) == "20.00 亿元 · 200,000.00 万元"


def test_an_amount_that_does_not_divide_evenly_is_marked_as_rounded():
    assert money_in_units(Decimal("123456789.00")) == "≈ 1.23 亿元 · ≈ 12,345.68 万元"


def test_another_currency_keeps_its_code_beside_wan_and_yi():
    assert money_in_units(Decimal("300000000"), "USD") == "3.00 亿 USD · 30,000.00 万 USD"


def test_the_money_field_gives_yuan_with_two_places():
    field = MoneyField(max_digits=20, decimal_places=2, required=False)
    assert field.clean("20亿") == Decimal("2000000000.00")
    assert field.clean("") is None


@pytest.mark.parametrize(("typed", "code"), [("twenty", "invalid"), ("1.2345678万", "fraction"), ("0.001", "fraction")])
def test_the_money_field_refuses_what_is_not_a_whole_number_of_fen(typed, code):
    field = MoneyField(max_digits=20, decimal_places=2)
    with pytest.raises(Exception) as refused:  # noqa: PT011 - Django's ValidationError, checked by code below
        field.clean(typed)
    assert refused.value.code == code


def test_the_money_box_shows_the_units_beside_the_amount_it_opens_with():
    html = MoneyField(max_digits=20, decimal_places=2).widget.render("amount", Decimal("2000000000.00"))
    assert 'value="2000000000.00"' in html
    assert "20.00 亿元 · 200,000.00 万元" in html
    assert 'type="number"' not in html  # a number box would refuse 20亿 in the browser


#
# Dates at their precision
#


@pytest.mark.parametrize(
    ("typed", "date", "precision"),
    [
        ("2024-07-15", dt.date(2024, 7, 15), DatePrecision.DAY),
        ("2024年7月15日", dt.date(2024, 7, 15), DatePrecision.DAY),
        ("2024-07", dt.date(2024, 7, 1), DatePrecision.MONTH),
        ("2024-7", dt.date(2024, 7, 1), DatePrecision.MONTH),
        ("2024年7月", dt.date(2024, 7, 1), DatePrecision.MONTH),
        ("2024-Q3", dt.date(2024, 7, 1), DatePrecision.QUARTER),
        ("2024年第三季度", dt.date(2024, 7, 1), DatePrecision.QUARTER),
        ("2024", dt.date(2024, 1, 1), DatePrecision.YEAR),
        ("2024年", dt.date(2024, 1, 1), DatePrecision.YEAR),
    ],
)
def test_a_date_is_read_at_the_precision_it_is_typed(typed, date, precision):
    assert parse_partial_date(typed) == PartialDate(date, precision)


@pytest.mark.parametrize("typed", ["2024-13", "2024-02-30", "July 2024", "24-07", "2024-Q5", ""])
def test_what_is_not_a_date_is_not_read_as_one(typed):
    assert parse_partial_date(typed) is None


@pytest.mark.parametrize(
    ("date", "precision", "shown"),
    [
        (dt.date(2024, 7, 15), "day", "2024-07-15"),
        (dt.date(2024, 7, 1), "month", "2024-07"),
        (dt.date(2024, 7, 1), "quarter", "2024-Q3"),
        (dt.date(2024, 1, 1), "year", "2024"),
    ],
)
def test_a_stored_date_is_shown_as_it_would_be_typed(date, precision, shown):
    assert format_partial_date(date, precision) == shown
    assert parse_partial_date(shown) == PartialDate(date, precision)


def test_the_date_field_explains_the_formats_it_takes():
    with pytest.raises(Exception) as refused:  # noqa: PT011 - Django's ValidationError
        PartialDateField().clean("next July")
    assert "2024-07" in str(refused.value)


#
# In the admin, with the article's data
#


@pytest.fixture(scope="module")
def people(django_db_setup, django_db_blocker):
    """The seed, a bureau administrator and a regional editor for Liandu, both staff."""
    with for_the_module(django_db_blocker):
        seed_load()
        yield {
            "administrator": user_with_role(Role.BUREAU_ADMIN, is_staff=True),
            "editor": user_with_role(Role.REGIONAL_EDITOR, regions=(LIANDU,), is_staff=True),
        }


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def test_the_kelun_project_opens_with_its_two_billion_also_in_yi_and_wan(db, people):
    response = logged_in(people["administrator"]).get(change_url(Project.objects.get(slug=KELUN)))
    page = response.content.decode()
    assert 'value="2000000000.00"' in page
    assert "20.00 亿元 · 200,000.00 万元" in page
    assert "core/money.js" in page


def test_an_amount_typed_in_yi_is_saved_in_yuan(db, people):
    client = logged_in(people["editor"])
    baiqiao = Project.objects.get(slug=BAIQIAO)
    form = client.get(change_url(baiqiao))
    response = client.post(change_url(baiqiao), posted_back(form, planned_investment="12.5亿"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    baiqiao.refresh_from_db()
    assert baiqiao.planned_investment == Decimal("1250000000.00")


def test_an_amount_that_is_not_one_is_refused_with_the_formats_that_are(db, people):
    client = logged_in(people["editor"])
    baiqiao = Project.objects.get(slug=BAIQIAO)
    before = baiqiao.planned_investment
    form = client.get(change_url(baiqiao))
    response = client.post(change_url(baiqiao), posted_back(form, planned_investment="about 12 yi"))
    assert response.status_code == 200
    assert "20亿" in str(response.context["adminform"].form.errors["planned_investment"])
    baiqiao.refresh_from_db()
    assert baiqiao.planned_investment == before


def test_the_kelun_landing_opens_as_the_month_it_was_recorded_at(db, people):
    landing = Milestone.objects.get(project__slug=KELUN, stage="landed", is_planned=False)
    response = logged_in(people["administrator"]).get(change_url(landing))
    assert response.context["adminform"].form["date"].value() == "2024-07"
    assert 'value="2024-07"' in response.content.decode()


def test_a_milestone_typed_as_a_month_is_stored_as_its_first_day_at_month_precision(db, people):
    client = logged_in(people["editor"])
    milestone = Milestone.objects.filter(project__slug=BAIQIAO).first() or Milestone.objects.create(
        project=Project.objects.get(slug=BAIQIAO), stage="signed", date=dt.date(2024, 1, 1), date_precision="year"
    )
    form = client.get(change_url(milestone))
    response = client.post(change_url(milestone), posted_back(form, date="2024-07"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    milestone.refresh_from_db()
    assert (milestone.date, milestone.date_precision) == (dt.date(2024, 7, 1), DatePrecision.MONTH)


def test_a_full_date_with_a_month_precision_chosen_must_be_the_first_of_the_month(db, people):
    client = logged_in(people["administrator"])
    landing = Milestone.objects.get(project__slug=KELUN, stage="landed", is_planned=False)
    form = client.get(change_url(landing))
    response = client.post(change_url(landing), posted_back(form, date="2024-07-15", date_precision="month"))
    assert response.status_code == 200
    assert "2024-07" in str(response.context["adminform"].form.errors["date"])
    landing.refresh_from_db()
    assert landing.date == dt.date(2024, 7, 1)


def test_a_project_of_another_region_says_why_it_is_read_only(db, people):
    response = logged_in(people["editor"]).get(change_url(Project.objects.get(slug=KELUN)))
    assert f"Read only: this record lies outside your regions ({LIANDU})." in response.content.decode()


def test_an_editor_s_own_project_does_not_say_read_only(db, people):
    response = logged_in(people["editor"]).get(change_url(Project.objects.get(slug=BAIQIAO)))
    assert "Read only" not in response.content.decode()


#
# The language switcher
#


def test_every_admin_page_offers_the_language_switcher_the_login_page_too(db, people):
    for client, path in ((Client(), "/admin/login/"), (logged_in(people["editor"]), "/admin/")):
        page = client.get(path).content.decode()
        assert 'action="/i18n/setlang/"' in page
        assert "简体中文" in page


def test_switching_to_chinese_translates_the_admin_from_then_on(db, people):
    client = logged_in(people["editor"])
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/admin/projects/project/"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/projects/project/"
    page = client.get("/admin/projects/project/").content.decode()
    assert "投资项目" in page
    assert "语言" in page  # the switcher's own label
    client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    assert "投资项目" not in client.get("/admin/projects/project/").content.decode()


def test_the_project_list_shows_each_amount_in_yuan_and_in_yi(db, people):
    page = logged_in(people["editor"]).get("/admin/projects/project/").content.decode()
    assert "2,000,000,000.00 (20.00 亿元)" in page


def test_the_project_list_still_sorts_by_amount(db, people):
    response = logged_in(people["editor"]).get("/admin/projects/project/", {"o": "5"})
    assert response.status_code == 200
    amounts = [row.planned_investment for row in response.context["cl"].result_list]
    known = [amount for amount in amounts if amount is not None]
    assert known == sorted(known)


def test_records_are_named_in_chinese_while_the_admin_speaks_chinese(db, people):
    longquan = Region.objects.get(code="331181")
    with translation.override("zh-hans"):
        assert str(longquan) == "龙泉市 (331181)"
    with translation.override("en"):
        assert str(longquan) == f"{longquan.name} (331181)"
    client = logged_in(people["editor"])
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/admin/"})
    assert "龙泉市 (331181)" in client.get("/admin/projects/project/").content.decode()


#
# Text of several lines
#


def test_a_note_posted_back_with_the_browser_s_crlf_line_breaks_is_no_change():
    field = MultilineTextField()
    assert not field.has_changed("Signed.\nBreaks ground in May.", "Signed.\r\nBreaks ground in May.")
    assert field.clean("Signed.\r\nBreaks ground\rin May.") == "Signed.\nBreaks ground\nin May."
    assert field.has_changed("Signed.\nBreaks ground in May.", "Signed.\r\nBreaks ground in June.")

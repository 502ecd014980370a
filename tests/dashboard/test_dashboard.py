"""The dashboard (issue 6, point 5): a page whose script charts the project summary API.

The server renders the shell (filter controls, empty charts and tables, labels in the page's
language); `dashboard/static/dashboard/dashboard.js` fetches `/api/v1/projects/summary/` once per
chart. So these tests check the shell, its assets, and the exact summary queries the script makes.
"""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from core.seed import seed_load
from tests.factories import UserFactory

PAGE = "/dashboard/"
SUMMARY = "/api/v1/projects/summary/"
APP_STATIC = Path(__file__).resolve().parents[2] / "dashboard" / "static"
LISHUI_CHILDREN = [
    "331100-HTZ", "331102", "331121", "331122", "331123", "331124", "331125", "331126", "331127", "331181",
]  # fmt: skip
FUNNEL = ["conceived", "negotiating", "signed", "landed", "construction_started", "in_production", "at_capacity"]
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ABSOLUTE_URL = re.compile(rb"https?://|(?:src|href)\s*=\s*[\"']//|url\(\s*[\"']?//")
ASSET = re.compile(r"""(?:src|href)\s*=\s*["'](/static/[^"']+)["']""")
# The filters the script sends for "2024" in the year control: projects with an actual milestone that year.
YEAR_2024 = "milestone_after=2024-01-01&milestone_before=2024-12-31"


@pytest.fixture(scope="module")
def article(django_db_setup, django_db_blocker):
    """The seed data (Lishui's regions, industries and projects), loaded once and removed after."""
    with django_db_blocker.unblock(), transaction.atomic():
        seed_load()
        yield
        transaction.set_rollback(True)


def page(**headers) -> str:
    response = Client().get(PAGE, **{**EN, **headers})
    assert response.status_code == HTTPStatus.OK, response.content
    return response.content.decode()


def options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no <select name={name}>"
    return re.findall(r'<option value="([^"]*)"', select.group(1))


def dashboard_config(html: str) -> dict:
    block = re.search(r'<script id="dashboard-config" type="application/json">(.*?)</script>', html, re.S)
    assert block, "the page carries its labels as a JSON data block"
    return json.loads(block.group(1))


def summary(query: str) -> dict:
    """What the script gets for one of its queries (the API's own reads, as an anonymous visitor)."""
    response = Client().get(f"{SUMMARY}?{query}", **EN)
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()


def served(client: Client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK, url
    return b"".join(response.streaming_content) if response.streaming else response.content


def shipped_files() -> list[Path]:
    return sorted(path for path in APP_STATIC.rglob("*") if path.is_file())


@pytest.mark.django_db
@pytest.mark.usefixtures("article")
class TestThePage:
    def test_the_page_renders_the_shell_with_a_chart_and_a_table_per_grouping(self) -> None:
        html = page()
        assert reverse("dashboard") == PAGE
        for chart in ("region", "industry", "stage"):
            assert f'data-chart="{chart}"' in html
            assert f'data-table="{chart}"' in html
        assert 'data-charts-ready="0"' in html

    def test_the_region_control_lists_lishui_and_its_counties(self) -> None:
        html = page()
        assert options(html, "region") == ["331100", *LISHUI_CHILDREN]
        assert re.search(r'<option value="331100" selected>All of Lishui City</option>', html)
        assert ">Longquan City</option>" in html
        assert ">Jingning She Autonomous County</option>" in html

    def test_the_year_control_offers_the_years_of_actual_milestones(self) -> None:
        assert options(page(), "year") == ["", "2024"]

    def test_the_chosen_filters_are_selected_and_unknown_ones_said_and_not_applied(self) -> None:
        html = Client().get(PAGE, {"region": "331181", "year": "2024"}, **EN).content.decode()
        assert '<option value="331181" selected>' in html
        assert '<option value="2024" selected>' in html
        assert 'role="alert"' not in html
        html = Client().get(PAGE, {"region": "999999", "year": "1999' OR 1=1"}, **EN).content.decode()
        assert '<option value="331100" selected>' in html
        assert "selected" not in re.search(r'<select[^>]*name="year".*?</select>', html, re.S).group(0)
        alerts = re.findall(r'<p class="status refused" role="alert">(.*?)</p>', html)
        assert alerts[0] == "The region 999999 is not one this dashboard shows."
        assert alerts[1].startswith("No project reached a step of the funnel in 1999&#x27; OR 1=1")

    def test_an_unknown_region_is_said_in_chinese_to_a_chinese_reader(self) -> None:
        html = Client().get(PAGE, {"region": "999999"}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "地区 999999 不在本看板的地区之内。" in html

    def test_the_labels_for_the_script_follow_the_funnel_and_name_the_regions(self) -> None:
        config = dashboard_config(page())
        assert config["summaryUrl"] == SUMMARY
        assert config["funnel"] == FUNNEL
        assert config["exits"] == ["on_hold", "cancelled"]
        assert list(config["labels"]["status"]) == [*FUNNEL, "on_hold", "cancelled"]
        assert config["labels"]["region"]["331181"] == "Longquan City"
        assert config["labels"]["region"]["331102-BQ"] == "Sanjiangkou Baiqiao Block"
        assert config["labels"]["industry"]["C"] == "Manufacturing"

    def test_the_page_carries_no_script_or_style_of_its_own(self) -> None:
        # Only the JSON data block is inline, and the browser never runs it: the page needs no 'unsafe-inline'.
        html = page()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert " src=" in tag or 'type="application/json"' in tag, tag
        assert "<style" not in html
        assert " style=" not in html

    def test_the_page_is_sent_with_the_content_security_policy(self) -> None:
        response = Client().get(PAGE)
        assert "default-src 'self'" in response["Content-Security-Policy"]
        assert "connect-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.django_db
@pytest.mark.usefixtures("article")
class TestInChinese:
    def test_the_page_speaks_chinese_when_the_browser_does(self) -> None:
        html = page(**ZH)
        assert '<html lang="zh-hans">' in html
        with translation.override("zh-hans"):
            title = translation.gettext("Investment dashboard")
        # Fails until locale/zh_Hans/LC_MESSAGES/django.po translates the dashboard's strings.
        assert title != "Investment dashboard", "the catalog has no translation for the dashboard's title"
        assert f"<title>{title}</title>" in html

    def test_regions_and_industries_are_named_in_chinese(self) -> None:
        html = page(**ZH)
        assert re.search(r"<option value=\"331100\" selected>[^<]*丽水市[^<]*</option>", html)
        assert '<option value="331181">龙泉市</option>' in html
        labels = dashboard_config(html)["labels"]
        assert labels["region"]["331102"] == "莲都区"
        assert labels["industry"]["C"] == "制造业"
        assert labels["industry"]["CHAIN-PHARMA-HEALTH-FOOD"] == "医药和健康食品"

    def test_the_stages_are_named_as_in_the_funnel(self) -> None:
        labels = dashboard_config(page(**ZH))["labels"]["status"]
        assert [labels[stage] for stage in FUNNEL] == ["谋划", "洽谈", "签约", "落地", "开工", "投产", "达产"]


@pytest.mark.django_db
class TestAssets:
    def test_every_asset_of_the_page_is_local_and_served(self) -> None:
        client = Client()
        html = page().encode()
        assert ABSOLUTE_URL.findall(html) == [], "the page refers to other hosts"
        assets = ASSET.findall(html.decode())
        assert sorted(assets) == ["/static/dashboard/dashboard.css", "/static/dashboard/dashboard.js"]
        for asset in assets:
            assert served(client, asset)

    @pytest.mark.parametrize("path", shipped_files(), ids=lambda path: path.name)
    def test_no_shipped_file_refers_to_another_host(self, path: Path) -> None:
        assert ABSOLUTE_URL.findall(path.read_bytes()) == []

    def test_the_static_files_are_found_where_the_page_asks_for_them(self) -> None:
        for name in ("dashboard/dashboard.js", "dashboard/dashboard.css"):
            assert Path(finders.find(name)) == APP_STATIC / name

    def test_collectstatic_with_the_production_storage_hashes_and_serves_them(self, tmp_path) -> None:
        storages = {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
        }
        with override_settings(STORAGES=storages, STATIC_ROOT=tmp_path, WHITENOISE_USE_FINDERS=False):
            call_command("collectstatic", interactive=False, verbosity=0)
            manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
            assert {"dashboard/dashboard.js", "dashboard/dashboard.css"} <= manifest.keys()
            client = Client()
            html = client.get(PAGE).content.decode()
            for name in ("dashboard/dashboard.js", "dashboard/dashboard.css"):
                hashed = f"/static/{manifest[name]}"
                assert hashed in html
                assert served(client, hashed) == (APP_STATIC / name).read_bytes()


@pytest.mark.django_db
class TestWhoMayLook:
    def test_anyone_may_look_while_api_reads_are_open(self) -> None:
        assert Client().get(PAGE).status_code == HTTPStatus.OK

    @override_settings(API_ANONYMOUS_READS=False)
    def test_with_api_reads_closed_visitors_are_sent_to_sign_in(self) -> None:
        response = Client().get(f"{PAGE}?region=331181")
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"] == f"{reverse('admin:login')}?next=/dashboard/%3Fregion%3D331181"

    @override_settings(API_ANONYMOUS_READS=False)
    def test_with_api_reads_closed_a_signed_in_user_sees_the_page_and_its_figures(self) -> None:
        client = Client()
        client.force_login(UserFactory())
        assert client.get(PAGE).status_code == HTTPStatus.OK
        assert client.get(f"{SUMMARY}?group_by=status").status_code == HTTPStatus.OK


@pytest.mark.django_db
@pytest.mark.usefixtures("article")
class TestTheQueriesTheScriptMakes:
    """The script asks for group_by first, then region, then the year as milestone_after/before."""

    def test_the_script_builds_its_queries_from_these_parameters(self) -> None:
        script = (APP_STATIC / "dashboard" / "dashboard.js").read_text()
        for fragment in ('"group_by"', '"region"', '"milestone_after"', '"milestone_before"', '"-01-01"', '"-12-31"'):
            assert fragment in script
        for group_by in ('groupBy: "region"', 'groupBy: "industry"', 'groupBy: "status"'):
            assert group_by in script

    def test_by_region_a_row_per_county_with_the_amounts_as_strings(self) -> None:
        answer = summary("group_by=region&region=331100")
        rows = {row["key"]: row for row in answer["rows"]}
        assert list(rows) == LISHUI_CHILDREN
        assert (rows["331181"]["project_count"], rows["331181"]["total_investment"]) == (1, "2000000000.00")
        assert (rows["331102"]["total_investment"], rows["331102"]["includes_bounds"]) == ("2950000000.00", False)
        assert answer["totals"]["total_investment"] == "4950000000.00"

    def test_by_region_within_a_county_its_blocks(self) -> None:
        rows = summary("group_by=region&region=331102")["rows"]
        assert [(row["key"], row["project_count"]) for row in rows] == [("331102-BQ", 2)]

    def test_by_industry_the_top_of_the_taxonomy(self) -> None:
        rows = {row["key"]: row for row in summary("group_by=industry&region=331100")["rows"]}
        assert rows["CHAIN-BEAUTY-HEALTH"]["total_investment"] == "2950000000.00"  # the Baiqiao block's stated total
        assert rows["CHAIN-PHARMA-HEALTH-FOOD"]["total_investment"] == "2000000000.00"
        assert rows["C"]["project_count"] == 1
        assert None not in rows, "every seeded project has an industry"

    def test_by_stage_the_funnel_in_order_then_the_ways_out(self) -> None:
        rows = summary("group_by=status&region=331100")["rows"]
        assert [row["key"] for row in rows] == [*FUNNEL, "on_hold", "cancelled"]
        counts = {row["key"]: (row["project_count"], row["total_investment"]) for row in rows}
        assert counts["signed"] == (2, "2950000000.00")
        assert counts["landed"] == (1, "2000000000.00")
        assert counts["conceived"] == (0, "0.00")

    def test_a_year_keeps_the_projects_with_an_actual_milestone_in_it(self) -> None:
        rows = {row["key"]: row for row in summary(f"group_by=status&region=331100&{YEAR_2024}")["rows"]}
        assert rows["landed"]["project_count"] == 1  # Kelun, landed in July 2024
        assert rows["signed"]["project_count"] == 0  # the Baiqiao projects have no dated milestone
        by_region = {row["key"]: row for row in summary(f"group_by=region&region=331100&{YEAR_2024}")["rows"]}
        assert by_region["331181"]["total_investment"] == "2000000000.00"
        assert by_region["331102"]["project_count"] == 0

    def test_a_county_filter_narrows_every_chart(self) -> None:
        assert summary("group_by=status&region=331181")["totals"]["project_count"] == 1
        assert summary("group_by=industry&region=331181")["totals"]["total_investment"] == "2000000000.00"
        empty = summary(f"group_by=industry&region=331122&{YEAR_2024}")
        assert empty["totals"]["project_count"] == 0

"""Chinese and English: the admin and the API's error messages follow the browser's language.

The catalog `locale/zh_Hans/LC_MESSAGES/django.po` translates every string the project marks for
translation (model names, field labels, choices, help texts, error messages); `make messages`
(part of `make run`, `make test` and `make check`, and of the Docker image's build) compiles it to
the git-ignored `django.mo` that Django reads. Django's and DRF's own strings come with their
packages.
"""

from __future__ import annotations

import ast
import gettext
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from tests.factories import ProjectFactory

REPO = Path(__file__).resolve().parent.parent
PO = REPO / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdrif]|\{\w*\}")


#
# The catalog, read with the standard library
#


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po file: blank lines separate them; a string may continue on later lines."""
    entries: list[Entry] = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        entry, key = Entry(), None
        for raw in block.splitlines():
            line = raw.strip()
            if line.startswith("#~"):
                entry.obsolete = True
                continue
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
                continue
            if not line or line.startswith("#"):
                continue
            if line.startswith('"'):
                value = ast.literal_eval(line)
            else:
                key, _space, literal = line.partition(" ")
                value = ast.literal_eval(literal)
                if key == "msgctxt":
                    entry.msgctxt = ""
            if key == "msgid":
                entry.msgid += value
            elif key == "msgid_plural":
                entry.msgid_plural += value
            elif key == "msgctxt":
                entry.msgctxt += value
            elif key == "msgstr":
                entry.msgstr[0] = entry.msgstr.get(0, "") + value
            elif key and key.startswith("msgstr["):
                index = int(key[7:-1])
                entry.msgstr[index] = entry.msgstr.get(index, "") + value
            else:
                raise AssertionError(f"unreadable line in {path.name}: {raw!r}")
        if key is not None or entry.obsolete:
            entries.append(entry)
    return entries


def messages(path: Path = PO) -> list[Entry]:
    """The catalog's messages: every entry but the header."""
    return [entry for entry in read_po(path) if entry.msgid and not entry.obsolete]


def test_the_catalog_has_a_header_for_simplified_chinese_that_is_not_fuzzy():
    header = next(entry for entry in read_po(PO) if entry.msgid == "")
    assert "fuzzy" not in header.flags
    assert "Language: zh_Hans\n" in header.msgstr[0]
    assert "charset=UTF-8" in header.msgstr[0]
    assert "Plural-Forms: nplurals=1; plural=0;" in header.msgstr[0]


def test_every_message_is_translated_and_none_is_fuzzy_or_obsolete():
    entries = read_po(PO)
    assert len(messages()) > 300
    assert not [e.msgid for e in entries if "fuzzy" in e.flags], "fuzzy entries"
    assert not [e.msgid for e in entries if e.obsolete], "obsolete entries: run makemessages with --no-obsolete"
    untranslated = [e.msgid for e in messages() if not e.msgstr or not all(e.msgstr.values())]
    assert not untranslated, f"untranslated: {untranslated}"
    same = [e.msgid for e in messages() if e.msgid in e.msgstr.values()]
    assert not same, f"left in English: {same}"


def test_every_translation_keeps_the_placeholders_of_its_message():
    for entry in messages():
        expected = sorted(PLACEHOLDER.findall(entry.msgid))
        for text in entry.msgstr.values():
            assert sorted(PLACEHOLDER.findall(text)) == expected, (entry.msgid, text)


@pytest.mark.parametrize(
    ("msgid", "msgstr"),
    [
        ("conceived (谋划)", "谋划"),
        ("negotiating (洽谈)", "洽谈"),
        ("signed (签约)", "签约"),
        ("landed (落地)", "落地"),
        ("construction started (开工)", "开工"),
        ("in production (投产)", "投产"),
        ("at design capacity (达产)", "达产"),
        ("on hold", "暂缓"),
        ("cancelled", "取消"),
        ("planned total investment (总投资)", "总投资"),
        ("funds in place (到位资金)", "到位资金"),
        ("exactly", "精确"),
        ("about", "约"),
        ("more than", "超过"),
        ("at least", "不少于"),
        ("less than", "少于"),
        ("investment project", "投资项目"),
        ("region", "区域"),
        ("milestone", "里程碑"),
        ("participant", "参与方"),
        ("follow-up", "跟进记录"),
        ("indicator", "指标"),
        ("observation", "观测值"),
        ("source", "来源"),
        ("citation", "引文"),
    ],
)
def test_the_office_s_own_terms_are_used(msgid, msgstr):
    assert {entry.msgid: entry.msgstr[0] for entry in messages()}[msgid] == msgstr


@pytest.mark.slow
def test_the_catalog_holds_exactly_the_strings_the_code_marks_for_translation(tmp_path, subprocess_env):
    """makemessages on a copy of the code finds no string the catalog lacks, and none it no longer needs."""
    skip_dirs = {".git", ".venv", ".data", "tests", "locale", "staticfiles", "__pycache__", "node_modules"}
    for source in REPO.rglob("*"):
        relative = source.relative_to(REPO)
        if skip_dirs & set(relative.parts) or not source.is_file() or source.suffix not in {".py", ".html", ".txt"}:
            continue
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, tmp_path / relative)
    (tmp_path / "locale").mkdir()
    env = {**subprocess_env, "DATABASE_URL": "postgres://unused@localhost/unused"}
    command = [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", "--verbosity", "0"]
    subprocess.run(command, cwd=tmp_path, env=env, check=True, timeout=120)
    fresh = {(e.msgctxt, e.msgid) for e in messages(tmp_path / PO.relative_to(REPO))}
    ours = {(e.msgctxt, e.msgid) for e in messages()}
    missing, unused = sorted(fresh - ours, key=str), sorted(ours - fresh, key=str)
    assert not missing, f"missing from {PO.name} (run makemessages, then translate them): {missing}"
    assert not unused, f"no longer in the code (run makemessages with --no-obsolete): {unused}"


#
# The compiled catalog
#


def test_the_compiled_catalog_is_there_and_matches_the_po_file():
    assert MO.is_file(), f"{MO.relative_to(REPO)} is missing: `make messages` compiles it"
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [e.msgid for e in messages() if e.msgctxt is None and compiled.gettext(e.msgid) != e.msgstr[0]]
    assert not stale, f"{MO.name} is out of date (`make messages`): {stale}"


def test_the_makefile_compiles_the_messages_before_run_test_and_check():
    makefile = (REPO / "Makefile").read_text()
    assert "compilemessages" in makefile
    for target in ("run", "test", "check"):
        assert re.search(rf"^{target}:.*\bmessages\b", makefile, re.MULTILINE), target
    assert "*.mo" in (REPO / ".gitignore").read_text().split()


def test_django_finds_the_project_catalog_for_the_browser_language():
    assert "zh-hans" in dict(settings.LANGUAGES)
    with translation.override("zh-hans"):
        assert translation.gettext("investment project") == "投资项目"
        assert translation.gettext("Save") == "保存"  # Django's own catalog still answers
    with translation.override("en"):
        assert translation.gettext("investment project") == "investment project"


#
# The admin
#


@pytest.mark.django_db
def test_the_project_form_of_the_admin_speaks_chinese_to_a_chinese_browser(admin_client):
    response = admin_client.get(reverse("admin:projects_project_add"), **ZH)
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    page = response.content.decode()
    assert '<html lang="zh-hans"' in page
    for text in (
        "增加 投资项目",  # the title: Django's "Add %(name)s" around the model's name
        "总投资",
        "到位资金",
        "限定词",
        "暂缓或取消原因",
        "跟踪人",
        "里程碑",
        "参与方",
        "跟进记录",
        "来源未给出金额时留空",  # a help text
        "保存",
    ):
        assert text in page, text
    stage_select = re.search(r'<select name="stage".*?</select>', page, re.DOTALL).group(0)
    for stage in ("谋划", "洽谈", "签约", "落地", "开工", "投产", "达产", "暂缓", "取消"):
        assert f">{stage}</option>" in stage_select, stage
    assert "Planned total investment" not in page
    assert "signed (签约)" not in page


@pytest.mark.django_db
def test_the_project_form_of_the_admin_stays_english_for_an_english_browser(admin_client):
    response = admin_client.get(reverse("admin:projects_project_add"), **EN)
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    page = response.content.decode()
    for text in ("Add investment project", "Planned total investment (总投资)", "Funds in place (到位资金)", "Save"):
        assert text in page, text
    stage_select = re.search(r'<select name="stage".*?</select>', page, re.DOTALL).group(0)
    assert ">signed (签约)</option>" in stage_select
    assert "增加" not in page
    assert "保存" not in page


@pytest.mark.django_db
def test_the_admin_index_names_the_sections_in_chinese(admin_client):
    page = admin_client.get(reverse("admin:index"), **ZH).content.decode()
    for text in ("区域", "行业", "企业与机构", "企业或机构", "投资项目", "经济指标", "观测值", "来源与引文", "引文"):
        assert text in page, text


#
# The API's error messages
#


def error_of(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return response.json()["error"]


@pytest.mark.django_db
def test_an_invalid_filter_is_explained_in_chinese(api_client):
    error = error_of(api_client.get("/api/v1/projects/", {"region": "NOPE", "has_investment": "maybe"}, **ZH))
    assert error["code"] == "invalid"
    assert error["message"] == "请求无效，请查看各字段的错误信息。"  # noqa: RUF001 - Chinese punctuation
    assert error["fields"]["region"][0]["message"] == "没有代码为 NOPE 的记录。"
    assert error["fields"]["has_investment"][0]["message"] == "请填写 true 或 false。"


@pytest.mark.django_db
def test_an_invalid_filter_is_explained_in_english(api_client):
    response = api_client.get("/api/v1/projects/", {"region": "NOPE", "has_investment": "maybe"}, **EN)
    assert response.status_code == 400
    error = error_of(response)
    assert error["message"] == "The request is invalid; see the errors per field."
    assert error["fields"]["region"][0]["message"] == "Nothing has the code NOPE."
    assert error["fields"]["has_investment"][0]["message"] == "Write true or false."


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (ZH, "未找到。"),
        ({"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.8"}, "未找到。"),  # what a browser in China sends
        ({"HTTP_ACCEPT_LANGUAGE": "zh"}, "未找到。"),
        (EN, "Not found."),
        ({"HTTP_ACCEPT_LANGUAGE": "fr-FR"}, "Not found."),  # a language the site lacks: English
        ({}, "Not found."),
    ],
)
def test_a_missing_record_is_a_404_in_the_browser_language(api_client, headers, message):
    response = api_client.get("/api/v1/projects/no-such-project/", **headers)
    assert response.status_code == 404
    assert error_of(response) == {"code": "not_found", "message": message}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("headers", "message"), [(ZH, "身份认证信息未提供。"), (EN, "Authentication credentials were not provided.")]
)
def test_a_write_without_credentials_is_a_401_in_the_browser_language(api_client, headers, message):
    response = api_client.post("/api/v1/projects/", {"name": "x"}, format="json", **headers)
    assert response.status_code == 401
    assert error_of(response)["message"] == message


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (ZH, "您读取该记录后，记录已被修改（其 ETag 与 If-Match 不再一致），请重新读取。"),  # noqa: RUF001
        (EN, "The record changed since you read it (its ETag no longer matches If-Match); read it again."),
    ],
)
def test_a_stale_if_match_is_a_412_in_the_browser_language(api_client, admin_user, headers, message):
    project = ProjectFactory()
    api_client.force_authenticate(admin_user)
    url = f"/api/v1/projects/{project.slug}/"
    response = api_client.patch(url, {"name": "Renamed"}, format="json", HTTP_IF_MATCH='"999"', **headers)
    assert response.status_code == 412
    assert error_of(response) == {"code": "precondition_failed", "message": message}


@pytest.mark.django_db
def test_a_model_rule_broken_through_the_api_is_explained_in_chinese(api_client, admin_user):
    """A model's own rule (a project on hold needs its reason) reaches the client translated."""
    project = ProjectFactory()
    api_client.force_authenticate(admin_user)
    url = f"/api/v1/projects/{project.slug}/"
    response = api_client.patch(url, {"stage": "on_hold", "stage_reason": ""}, format="json", HTTP_IF_MATCH="*", **ZH)
    assert response.status_code == 400, response.json()
    messages_ = [item["message"] for items in error_of(response)["fields"].values() for item in items]
    assert "暂缓或取消的项目须填写原因。" in messages_, messages_

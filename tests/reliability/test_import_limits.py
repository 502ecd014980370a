"""Nothing lost, nothing stalled (issue 20, point 4): an admin import has limits, whatever the request's.

A file over IMPORT_MAX_FILE_BYTES, with more than IMPORT_MAX_ROWS rows, or an XLSX that unpacks to
more than IMPORT_MAX_XLSX_UNPACKED_BYTES is refused on the import form, in the reader's language,
before its rows are read: no error page, nothing kept for a confirmation, nothing written. The
request body limit (1 MB) is not what holds an upload back: a larger file within the import's
limits is read.
"""

from __future__ import annotations

import io
import struct
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.test.utils import override_settings
from django.utils import translation

from core.imports import (
    ImportFileStorage,
    LimitedCSV,
    LimitedXLSX,
    not_a_workbook,
    too_large,
    too_large_unpacked,
    too_many_rows,
)
from projects.models import Project
from tests.factories import RegionFactory
from tests.test_import_export import (
    CSV_FORMAT,
    HEADERS,
    XLSX_FORMAT,
    admin_url,
    confirm,
    csv_bytes,
    row_errors,
    stored_uploads,
    upload,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def region() -> str:
    return RegionFactory().code


def rows(count: int, region: str, prefix: str = "limit") -> list[list[str]]:
    return [[f"{prefix}-{n}", f"Project {n}", region, "", "1.00", "exact"] for n in range(count)]


def file_errors(response) -> list[str]:
    return list(response.context["form"].errors.get("import_file", []))


#
# Size
#


@override_settings(IMPORT_MAX_FILE_BYTES=2000)
def test_a_file_over_the_size_limit_is_refused_on_the_form_and_not_kept(staff, region):
    waiting = stored_uploads()
    content = csv_bytes(rows(100, region))
    assert len(content) > 2000
    response = upload(staff, Project, content)
    assert response.status_code == 200
    assert file_errors(response) == [str(too_large())]
    assert "2.0\xa0KB" in file_errors(response)[0]
    assert "confirm_form" not in response.context
    assert stored_uploads() == waiting
    assert not Project.objects.filter(slug__startswith="limit-").exists()


@override_settings(IMPORT_MAX_FILE_BYTES=2000)
def test_the_size_limit_is_explained_in_chinese_to_a_chinese_reader(staff, region):
    response = staff.post(
        admin_url(Project, "import"),
        {
            "resource": "0",
            "format": CSV_FORMAT,
            "import_file": SimpleUploadedFile("p.csv", csv_bytes(rows(100, region))),
        },
        headers={"accept-language": "zh-hans"},
    )
    with translation.override("zh-hans"):
        expected = str(too_large())
    assert "超出单次导入的上限" in expected
    assert file_errors(response) == [expected]


@override_settings(IMPORT_MAX_FILE_BYTES=1000)
def test_an_upload_keeps_no_more_than_the_limit_and_one_byte_of_a_larger_file():
    request = RequestFactory().post("/", {"import_file": SimpleUploadedFile("big.csv", b"x" * 50_000)})
    assert request.FILES["import_file"].size == 1001


def test_a_file_larger_than_the_request_body_limit_but_within_the_import_limit_is_read(staff, region, settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < 1_500_000 < settings.IMPORT_MAX_FILE_BYTES
    long_description = "A long description. " * 5_000  # 100 kB a row
    content = csv_bytes(
        [[f"limit-long-{n}", f"Long {n}", region, long_description] for n in range(15)],
        headers=["slug", "name", "region", "description"],
    )
    assert len(content) > 1_500_000
    confirm(staff, Project, upload(staff, Project, content))
    assert Project.objects.get(slug="limit-long-14").description == long_description


#
# Rows
#


@override_settings(IMPORT_MAX_ROWS=5)
@pytest.mark.parametrize("file_format", [CSV_FORMAT, XLSX_FORMAT], ids=["csv", "xlsx"])
def test_a_file_over_the_row_limit_is_refused_before_any_row_is_imported(staff, region, file_format):
    make = csv_bytes if file_format == CSV_FORMAT else xlsx_bytes
    response = upload(staff, Project, make(rows(6, region)), name="p", file_format=file_format)
    assert file_errors(response) == [str(too_many_rows())]
    assert "result" not in response.context  # no row was looked at
    assert "confirm_form" not in response.context


@override_settings(IMPORT_MAX_ROWS=5)
@pytest.mark.parametrize("file_format", [CSV_FORMAT, XLSX_FORMAT], ids=["csv", "xlsx"])
def test_a_file_at_the_row_limit_imports(staff, region, file_format):
    make = csv_bytes if file_format == CSV_FORMAT else xlsx_bytes
    confirm(staff, Project, upload(staff, Project, make(rows(5, region)), name="p", file_format=file_format))
    assert Project.objects.filter(slug__startswith="limit-").count() == 5


@pytest.mark.parametrize("file_format", [LimitedCSV, LimitedXLSX], ids=["csv", "xlsx"])
def test_a_file_of_the_default_row_limit_passes_every_limit(region, file_format, settings):
    assert settings.IMPORT_MAX_ROWS == 1_000  # what imports well inside the worker timeout (docs/operations)
    content = (csv_bytes if file_format is LimitedCSV else xlsx_bytes)(rows(1_000, region))
    assert len(content) <= settings.IMPORT_MAX_FILE_BYTES
    dataset = file_format(encoding="utf-8-sig").create_dataset(content)
    assert (dataset.height, dataset.headers) == (1_000, HEADERS)


@override_settings(IMPORT_MAX_ROWS=10_000)
@pytest.mark.parametrize("file_format", [LimitedCSV, LimitedXLSX], ids=["csv", "xlsx"])
def test_ten_thousand_rows_pass_the_size_limits_where_the_row_limit_is_raised(region, file_format, settings):
    content = (csv_bytes if file_format is LimitedCSV else xlsx_bytes)(rows(10_000, region))
    assert len(content) <= settings.IMPORT_MAX_FILE_BYTES
    # Read under every limit, what an XLSX unpacks to included.
    assert file_format(encoding="utf-8-sig").create_dataset(content).height == 10_000


def test_empty_rows_below_the_data_are_left_out(staff, region):
    content = csv_bytes([*rows(2, region), ["", "", "", "", "", ""], [None] * 6]).replace(b"\r\n\r\n", b"\r\n")
    preview = upload(staff, Project, content)
    assert row_errors(preview) == {}
    assert len(preview.context["result"].valid_rows()) == 2


#
# What an XLSX unpacks to
#


def workbook_with_padding(padding: int) -> bytes:
    """A valid workbook that also carries `padding` zero bytes, which compress to almost nothing."""
    archive = io.BytesIO(xlsx_bytes(rows(1, "110000")))
    with zipfile.ZipFile(archive, "a", compression=zipfile.ZIP_DEFLATED) as book:
        book.writestr("xl/media/padding.bin", b"\0" * padding)
    return archive.getvalue()


def understated(content: bytes, member: str, size: int) -> bytes:
    """The archive, with `member`'s unpacked size written as `size` in both of its headers (a lie)."""
    data = bytearray(content)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        info = archive.getinfo(member)
    struct.pack_into("<I", data, info.header_offset + 22, size)  # the local header
    central = data.find(b"PK\x01\x02")
    while central != -1:
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + name_length] == member.encode():
            struct.pack_into("<I", data, central + 24, size)  # the central directory's
            return bytes(data)
        central = data.find(b"PK\x01\x02", central + 4)
    raise AssertionError(f"{member} is not in the central directory")


@override_settings(IMPORT_MAX_XLSX_UNPACKED_BYTES=1_000_000)
def test_an_xlsx_that_unpacks_past_the_limit_is_refused_before_it_is_opened(staff):
    content = workbook_with_padding(5_000_000)
    assert len(content) < 50_000
    response = upload(staff, Project, content, name="bomb.xlsx", file_format=XLSX_FORMAT)
    assert file_errors(response) == [str(too_large_unpacked())]
    assert "result" not in response.context


@override_settings(IMPORT_MAX_XLSX_UNPACKED_BYTES=1_000_000)
def test_an_xlsx_that_understates_what_it_unpacks_to_is_refused_too(staff):
    content = understated(workbook_with_padding(5_000_000), "xl/media/padding.bin", 100)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert sum(member.file_size for member in archive.infolist()) < 1_000_000  # the lie holds
    response = upload(staff, Project, content, name="liar.xlsx", file_format=XLSX_FORMAT)
    [error] = file_errors(response)
    assert "result" not in response.context
    assert error == str(not_a_workbook())  # Python unpacks no more than the stated size, then finds it corrupt


def test_a_file_that_is_not_a_workbook_is_refused_as_such(staff, region):
    response = upload(staff, Project, csv_bytes(rows(2, region)), name="p.xlsx", file_format=XLSX_FORMAT)
    assert file_errors(response) == [str(not_a_workbook())]


#
# Between the preview and the confirmation
#


def test_a_confirmation_refused_by_lowered_limits_writes_nothing_and_says_why(staff, region, settings):
    preview = upload(staff, Project, csv_bytes(rows(3, region)))
    settings.IMPORT_MAX_ROWS = 2
    response = confirm(staff, Project, preview)
    assert response.status_code == 302
    assert response.url == admin_url(Project, "import")
    assert str(too_many_rows()) in staff.get(response.url).content.decode()
    assert not Project.objects.filter(slug__startswith="limit-").exists()
    with pytest.raises(FileNotFoundError):  # the upload is not kept either
        ImportFileStorage(name=preview.context["confirm_form"].initial["import_file_name"]).read()

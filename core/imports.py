"""Bulk import and export in the admin (django-import-export), under the admin's own rules.

An import is all or nothing: the dry run shows a preview and writes nothing, and the confirmed
import runs in one transaction that any bad row rolls back, so a file with one bad row writes no
row at all. Every row passes the model's validation and the region scope of the importing user
(`accounts.scope.may_write`, before and after the change), and the database's history triggers
record each write with the importing user, as for any other admin save.

Related records are written as the keys the API uses (a region's code, an industry's code, a
company's or project's slug, a user's username). Exports write the same columns, so an exported
file can be edited and imported again. A cell takes what the admin's form takes: money as its
money box reads it (`3亿元`, `5,600万元`, full-width digits), and a choice as its stored value or
its label in English or Chinese (`negotiating`, `洽谈`); a refused choice lists the accepted ones.

Every export, in every format, neutralises text a spreadsheet would run as a formula (a quote in
front, `core.spreadsheets`), and every import removes exactly that quote again, so a value goes
out and comes back unchanged. An import has limits that hold whatever the request's own limits
are: the file's size, its number of rows and, for XLSX, how large it unpacks; each is checked
before the rows are read, and a file over one is refused on the form with what to do about it
(docs/operations/exports-and-imports.md).
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from uuid import uuid4

import openpyxl
import tablib
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, SuspiciousOperation, ValidationError
from django.core.files.uploadhandler import FileUploadHandler
from django.db import DatabaseError, router, transaction
from django.db.models import BooleanField, CheckConstraint, DecimalField, ExpressionWrapper, Model, Q, Value
from django.db.models.functions import Coalesce
from django.db.models.sql import Query
from django.db.models.sql.constants import SINGLE
from django.http import HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets
from import_export.admin import ExportMixin, ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ImportForm, SelectableFieldsExportForm
from import_export.instance_loaders import CachedInstanceLoader
from import_export.tmp_storages import CacheStorage

from accounts.scope import may_write, scope_description
from core.forms import MoneyField as MoneyFormField
from core.forms import is_money_field
from core.spreadsheets import neutralise, restore

# A plain decimal number: what the API accepts as money ("2000000000.00"), without separators.
DECIMAL_PATTERN = re.compile(r"[+-]?\d+(\.\d+)?")
# The names ImportFileStorage gives the files waiting for confirmation.
STORED_NAME_PATTERN = re.compile(r"[0-9a-f]{32}")
# Several values in one cell (aliases, industry codes).
LIST_SEPARATOR = "|"


def key_text(value) -> str:
    """A key as read from a cell: text, trimmed; a spreadsheet's number 331181 (or 331181.0) is "331181"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class DecimalTextWidget(widgets.Widget):
    """A decimal number (money, a share) read and written as exact decimal text, never as a float.

    A spreadsheet's numeric cell arrives as a float; its shortest text (`str`) is the number typed
    into the cell, so 2000000000.5 stays 2000000000.5 and 0.1 stays 0.1. Exports write text in
    every format, so a 20-digit amount keeps every digit in a spreadsheet too.
    """

    def clean(self, value, row=None, **kwargs):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool):
            raise ValueError(_("Write a number here, not true or false."))
        text = str(value).strip()
        if not DECIMAL_PATTERN.fullmatch(text):
            raise ValueError(
                _("“%(value)s” is not a number: write a decimal number such as 2000000000.00, without separators.")
                % {"value": text}
            )
        return Decimal(text)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class MoneyWidget(DecimalTextWidget):
    """An amount of money, read exactly as the admin's money box reads it (`core.forms.MoneyField`).

    So a cell may say what staff type in the form: `2000000000.00`, `2,000,000,000`, `3亿元`,
    `5,600万元` or full-width `\uff15\uff0e\uff16亿元`, and at most two decimal places in yuan. A
    spreadsheet's numeric cell is read as the number it shows (its shortest text), never as a float.
    """

    reader = MoneyFormField()

    def clean(self, value, row=None, **kwargs):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool):
            raise ValueError(_("Write a number here, not true or false."))
        text = str(value).strip()
        try:
            if isinstance(value, int | float | Decimal):
                number = Decimal(text)
                if not number.is_finite():
                    raise InvalidOperation
                return self.reader.to_python(number)
            return self.reader.to_python(text)
        except InvalidOperation:
            raise ValueError(self._not_an_amount(text)) from None
        except ValidationError as error:
            if error.code == "invalid":
                raise ValueError(self._not_an_amount(text)) from None
            raise ValueError(" ".join(error.messages)) from None

    @staticmethod
    def _not_an_amount(text: str) -> str:
        return _("“%(value)s” is not an amount: write it as 2000000000, 2,000,000,000.00, 3亿元 or 5600万元.") % {
            "value": text
        }


def choice_text(text: str) -> str:
    """A choice's value or label as compared: trimmed, inner spaces as one, Latin letters in any case."""
    return " ".join(text.split()).casefold()


class ChoiceWidget(widgets.CharWidget):
    """A field with choices (a stage, a qualifier, a kind), written as its stored value or its label.

    A cell may give the value (`negotiating`), the English label (`negotiating (洽谈)`) or the Chinese
    one (`洽谈`), whatever the importing user's language, Latin letters in any case. A cell that is
    none of them is refused with every accepted spelling; exports write the stored value.
    """

    def __init__(self, choices, **kwargs):
        super().__init__(**kwargs)
        self.choices = [(value, label) for value, label in choices if value not in ("", None)]
        self._spellings: list[list[str]] | None = None
        self._values: dict[str, str] | None = None

    def spellings(self) -> list[list[str]]:
        """Each choice's accepted texts: its value, then its label in each language, none twice."""
        if self._spellings is None:
            self._spellings = []
            for value, label in self.choices:
                texts: dict[str, str] = {choice_text(str(value)): str(value)}
                for language, _name in settings.LANGUAGES:
                    with translation.override(language):
                        texts.setdefault(choice_text(str(label)), str(label))
                self._spellings.append(list(texts.values()))
        return self._spellings

    def values(self) -> dict[str, str]:
        """Every accepted text, compared as `choice_text`, to its value; a value wins over another's label."""
        if self._values is None:
            self._values = {choice_text(str(value)): value for value, _label in self.choices}
            for (value, _label), texts in zip(self.choices, self.spellings(), strict=True):
                for text in texts:
                    self._values.setdefault(choice_text(text), value)
        return self._values

    def clean(self, value, row=None, **kwargs):
        text = key_text(value)
        if not text:
            return super().clean(value, row, **kwargs)
        try:
            return self.values()[choice_text(text)]
        except KeyError:
            accepted = ", ".join(" / ".join(texts) for texts in self.spellings())
            message = _("“%(value)s” is not one of the accepted values. Accepted: %(accepted)s.")
            raise ValueError(message % {"value": text, "accepted": accepted}) from None


class DayWidget(widgets.DateWidget):
    """A date written as 2024-07-01, or a spreadsheet's date cell (which arrives as a datetime)."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date) or value in (None, ""):
            return value or None
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError(
                _("“%(value)s” is not a date: write it as 2024-07-01.") % {"value": str(value).strip()}
            ) from None


class NullableCharWidget(widgets.CharWidget):
    """Text whose empty cell means "none" (NULL), for optional unique codes such as a credit code."""

    def clean(self, value, row=None, **kwargs):
        text = key_text(value)
        return text or None


class ListWidget(widgets.SimpleArrayWidget):
    """A list of names in one cell, separated by "|" (names themselves hold commas: "Co., Ltd.")."""

    def __init__(self):
        super().__init__(separator=LIST_SEPARATOR)

    def clean(self, value, row=None, **kwargs):
        return [item.strip() for item in str(value or "").split(self.separator) if item.strip()]

    def render(self, value, obj=None, **kwargs):
        return f" {self.separator} ".join(value or [])


class KeyWidget(widgets.ForeignKeyWidget):
    """A related record written as its key: a region's code, a company's slug, a user's username.

    A key that names no record is a row error on the column, not a crash of the import.
    """

    def __init__(self, model, field: str, queryset=None):
        super().__init__(model, field=field)
        self.queryset = queryset
        # Records found by key, for one import: its rows name the same few regions again and again.
        # A resource copies its fields (and their widgets) when it is made, so this lasts one import.
        self.found: dict[str, Model] = {}

    def get_queryset(self, value, row, *args, **kwargs):
        return self.queryset.all() if self.queryset is not None else self.model._default_manager.all()

    def clean(self, value, row=None, **kwargs):
        key = key_text(value)
        if not key:
            return None
        if key in self.found:
            return self.found[key]
        try:
            self.found[key] = self.get_queryset(key, row).get(**{self.field: key})
            return self.found[key]
        except self.model.DoesNotExist:
            raise ValueError(
                _("No %(model)s has the %(key)s “%(value)s”.")
                % {"model": self.model._meta.verbose_name, "key": self._key_name(), "value": key}
            ) from None

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else getattr(value, self.field)

    def _key_name(self) -> str:
        try:
            return str(self.model._meta.get_field(self.field).verbose_name)
        except FieldDoesNotExist:
            return self.field


class KeysWidget(widgets.ManyToManyWidget):
    """Related records (a project's industries) written as their keys, separated by "|"."""

    def __init__(self, model, field: str):
        super().__init__(model, separator=LIST_SEPARATOR, field=field)
        # As KeyWidget's: one import's rows give the same few sets of codes, each read three times.
        self.found: dict[tuple[str, ...], list[Model]] = {}

    def clean(self, value, row=None, **kwargs):
        keys = tuple(dict.fromkeys(key for key in (key_text(part) for part in str(value or "").split("|")) if key))
        if keys not in self.found:
            self.found[keys] = list(self.model._default_manager.filter(**{f"{self.field}__in": keys}))
        found = self.found[keys]
        missing = sorted(set(keys) - {getattr(record, self.field) for record in found})
        if missing:
            raise ValueError(
                _("No %(model)s has the code %(values)s.")
                % {"model": self.model._meta.verbose_name, "values": ", ".join(missing)}
            )
        return found

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return f" {self.separator} ".join(sorted(getattr(record, self.field) for record in value.all()))


def key_field(name: str, model, key: str, queryset=None) -> fields.Field:
    return fields.Field(attribute=name, column_name=name, widget=KeyWidget(model, key, queryset=queryset))


def keys_field(name: str, model, key: str) -> fields.Field:
    return fields.Field(attribute=name, column_name=name, widget=KeysWidget(model, key))


def decimal_field(name: str) -> fields.Field:
    return fields.Field(attribute=name, column_name=name, widget=DecimalTextWidget())


def day_field(name: str) -> fields.Field:
    return fields.Field(attribute=name, column_name=name, widget=DayWidget())


def list_field(name: str) -> fields.Field:
    return fields.Field(attribute=name, column_name=name, widget=ListWidget(), default=list)


class ConstraintVerdicts:
    """Check constraints judged once per set of values they read, together, for one import.

    Django puts each check constraint of each row to the database on its own (`Q.check`: a
    savepoint, a query, a release), which was most of an import's time. A check constraint reads
    only its own row, so its verdict depends on nothing but the values of the fields it names: an
    import's rows share a few stages, kinds and currencies, and each combination is judged once.
    What is left to judge for a row goes to the database in one query. Any other constraint (a
    unique one reads other rows), or one on values that cannot be a key (a list), is checked as
    Django checks it.
    """

    def __init__(self) -> None:
        self.holds: dict[tuple, bool] = {}

    def validate(self, instance: Model, *, exclude: set[str], errors: dict) -> dict:
        """`errors`, with those of the constraints of `instance` (what `Model.validate_constraints` finds)."""
        using = router.db_for_write(type(instance), instance=instance)
        for model, constraints in instance.get_constraints():
            keyed: list[tuple[CheckConstraint, tuple]] = []
            for constraint in constraints:
                key = self._key(constraint, model, instance)
                if key is None:
                    try:
                        constraint.validate(model, instance, exclude=exclude, using=using)
                    except ValidationError as error:
                        errors = self._add(errors, constraint, error)
                elif not (Q(constraint.condition).referenced_base_fields & exclude):  # as Django: skipped
                    keyed.append((constraint, key))
            pending = {key: constraint for constraint, key in keyed if key not in self.holds}
            if pending:
                self._judge(model, instance, pending, using)
            for constraint, key in keyed:
                if not self.holds[key]:
                    error = ValidationError(
                        constraint.get_violation_error_message(), code=constraint.violation_error_code
                    )
                    errors = self._add(errors, constraint, error)
        return errors

    def _judge(self, model, instance: Model, pending: dict, using: str) -> None:
        query = Query(None)
        for name, value in instance._get_field_expression_map(meta=model._meta).items():
            query.add_annotation(value if hasattr(value, "resolve_expression") else Value(value), name, select=False)
        for n, constraint in enumerate(pending.values()):
            holds = ExpressionWrapper(Q(constraint.condition), output_field=BooleanField())
            query.add_annotation(Coalesce(holds, Value(True)), f"holds_{n}")
        try:
            with transaction.atomic(using=using):  # a savepoint: a failed query leaves the import's transaction usable
                verdicts = query.get_compiler(using=using).execute_sql(SINGLE)
        except DatabaseError:
            verdicts = None
        for n, (key, constraint) in enumerate(pending.items()):
            if verdicts is not None:
                self.holds[key] = bool(verdicts[n])
                continue
            try:  # the one query failed: each on its own, as Django does
                constraint.validate(model, instance, using=using)
                self.holds[key] = True
            except ValidationError:
                self.holds[key] = False

    @staticmethod
    def _add(errors: dict, constraint, error: ValidationError) -> dict:
        if getattr(error, "code", None) == "unique" and len(getattr(constraint, "fields", ())) == 1:
            errors.setdefault(constraint.fields[0], []).append(error)
            return errors
        return error.update_error_dict(errors)

    @staticmethod
    def _key(constraint, model, instance: Model) -> tuple | None:
        if not isinstance(constraint, CheckConstraint):
            return None
        names = sorted(Q(constraint.condition).referenced_base_fields)
        values = []
        for name in names:
            try:
                field = model._meta.pk if name == "pk" else model._meta.get_field(name)
            except FieldDoesNotExist:
                return None
            value = getattr(instance, field.attname)
            values.append((name, type(value), value))
        key = (model, constraint.name, tuple(values))
        try:
            hash(key)
        except TypeError:
            return None
        return key


class TrackerResource(resources.ModelResource):
    """Rows of a tracker model, keyed by slug, checked like an admin form.

    - `scope_field` is the field that places a record in a region (a project's `region`, a
      company's `headquarters`): a row a regional editor may not write is an error on it.
    - `version` is exported and, when a row gives it, must still be the record's version: a row
      exported before someone else changed the record is refused rather than undoing their change.
    - Unchanged rows are skipped, so importing an export again writes nothing.
    - Headers may also be the fields' labels, in English or Chinese ("region", "所在地区").
    """

    scope_field = "region"
    version = fields.Field(attribute="version", column_name="version", readonly=True)

    class Meta:
        import_id_fields = ("slug",)
        # Every record the file names, read in one query rather than one a row. A slug given twice
        # in one file is then two new records, and the second is refused as a duplicate slug.
        instance_loader_class = CachedInstanceLoader
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    @classmethod
    def widget_from_django_field(cls, f, default=widgets.Widget):
        # A cell takes what the admin's form takes: money as the money box reads it, a choice by its
        # label too. Other decimals are exact decimal text in and out, never a spreadsheet's float.
        if getattr(f, "choices", None):
            return ChoiceWidget
        if is_money_field(f):
            return MoneyWidget
        if isinstance(f, DecimalField):
            return DecimalTextWidget
        return super().widget_from_django_field(f, default)

    @classmethod
    def widget_kwargs_for_field(cls, field_name, django_field):
        kwargs = super().widget_kwargs_for_field(field_name, django_field)
        if getattr(django_field, "choices", None):
            kwargs["choices"] = django_field.flatchoices
        return kwargs

    def before_import(self, dataset, **kwargs):
        self.user = kwargs.get("user")
        self.constraint_verdicts = ConstraintVerdicts()
        labels = self.header_labels()
        dataset.headers = [labels.get(key_text(header).casefold(), key_text(header)) for header in dataset.headers]
        return super().before_import(dataset, **kwargs)

    def header_labels(self) -> dict[str, str]:
        """Each column's name and its field's label in every language, lower-cased, to its name."""
        labels: dict[str, str] = {}
        for field in self.get_import_fields():
            labels[field.column_name.casefold()] = field.column_name
            try:
                model_field = self._meta.model._meta.get_field(field.attribute)
            except FieldDoesNotExist:
                continue
            for language, _name in settings.LANGUAGES:
                with translation.override(language):
                    labels.setdefault(str(model_field.verbose_name).casefold(), field.column_name)
        return labels

    def import_instance(self, instance, row, **kwargs):
        # Judged before the row's values land on the record: where it is now.
        instance._import_writable_before = instance.pk is None or may_write(self.user, instance)
        instance._import_row_version = key_text(row.get("version"))
        errors: dict = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        # Many-to-many values are saved after the record; check their keys now, with the row.
        for field in self.get_import_fields():
            if isinstance(field.widget, widgets.ManyToManyWidget) and field.column_name in row:
                try:
                    field.clean(row, **kwargs)
                except ValueError as error:
                    errors.setdefault(field.attribute, []).append(ValidationError(str(error), code="invalid"))
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The model's validation, then (for a row that would be written) region scope and version.

        As `full_clean`, but each check constraint is judged once per set of values it reads
        (`ConstraintVerdicts`): Django asks the database once per constraint and row, which was
        most of an import's time.
        """
        errors = dict(import_validation_errors or {})
        try:
            instance.full_clean(exclude=errors.keys(), validate_unique=validate_unique, validate_constraints=False)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        errors = self.constraint_verdicts.validate(instance, exclude=set(errors), errors=errors)
        if self.scope_field not in errors:
            refusal = self.scope_refusal(instance)
            if refusal:
                errors[self.scope_field] = [ValidationError(refusal, code="out_of_scope")]
        stale = self.stale_refusal(instance)
        if stale:
            errors.setdefault("version", []).append(ValidationError(stale, code="stale"))
        if errors:
            raise ValidationError(errors)

    def scope_refusal(self, instance) -> str | None:
        """Why the importing user may not write this row, if they may not."""
        if self.user is None:
            return _("An import is checked against the regions of the user who makes it; none was given.")
        regions = {"regions": scope_description(self.user)}
        if not getattr(instance, "_import_writable_before", True):
            return _("This record lies outside your regions (%(regions)s): you may not change it.") % regions
        if not may_write(self.user, instance):
            return _("This would place the record outside your regions (%(regions)s).") % regions
        return None

    def stale_refusal(self, instance) -> str | None:
        given = getattr(instance, "_import_row_version", "")
        if instance.pk is None or not given or given == str(instance.version):
            return None
        return _(
            "Someone else changed this record (now version %(current)s) after this row was exported at version "
            "%(given)s. Export it again and redo your edit."
        ) % {"current": instance.version, "given": given}


class ImportFileStorage(CacheStorage):
    """Keeps an uploaded file until its import is confirmed, in the shared cache, under a random name.

    The cache (the database, or Redis) is what every app server shares, so the confirmation may
    reach another server than the upload did (docs/scaling.md: no local files). The confirmation
    step names the upload to import (and then delete); any name but one of ours is refused.
    """

    CACHE_PREFIX = "tracker-import-"
    CACHE_LIFETIME = 6 * 3600  # an upload not confirmed within working hours is dropped

    def save(self, data):
        self.name = uuid4().hex
        super().save(data)

    def read(self):
        data = super().read() if self._valid_name() else None
        if data is None:
            raise FileNotFoundError(self.name)
        return data

    def remove(self):
        if not self._valid_name():
            raise SuspiciousOperation("not an import file name")
        super().remove()

    def _valid_name(self) -> bool:
        return STORED_NAME_PATTERN.fullmatch(self.name or "") is not None

    @classmethod
    def key(cls, name: str) -> str:
        return cls.CACHE_PREFIX + name


#
# Limits of an import
#


class ImportRefused(ValueError):
    """A file over one of the import's limits: its message says which, and what to do."""


def too_large() -> ImportRefused:
    return ImportRefused(
        _("This file is larger than %(limit)s, the most one import takes. Split it into several smaller files.")
        % {"limit": filesizeformat(settings.IMPORT_MAX_FILE_BYTES)}
    )


def too_many_rows() -> ImportRefused:
    return ImportRefused(
        _(
            "This file has more than %(limit)s rows, the most one import takes (empty rows that still carry "
            "formatting count too). Split it into several files."
        )
        % {"limit": number_format(settings.IMPORT_MAX_ROWS, force_grouping=True)}
    )


def too_large_unpacked() -> ImportRefused:
    return ImportRefused(
        _(
            "This workbook unpacks to more than %(limit)s, the most one import takes. Keep only the sheet to "
            "import, without pictures, save it again, or split it into several files."
        )
        % {"limit": filesizeformat(settings.IMPORT_MAX_XLSX_UNPACKED_BYTES)}
    )


def not_a_workbook() -> ImportRefused:
    return ImportRefused(_("This file is not an XLSX workbook: choose the format that matches the file."))


class CappedUploadHandler(FileUploadHandler):
    """Keeps no more of an uploaded file than an import may take, plus one byte to show it was over.

    Django keeps every byte of an upload (on disk past 2.5 MB) whatever DATA_UPLOAD_MAX_MEMORY_SIZE
    says, which covers only the other fields. The rest of an oversized file is read and dropped, so
    a huge upload costs neither memory nor disk, and the import form still sees that it was too
    large. Imports are the only file uploads of the site.
    """

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.kept = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        room = settings.IMPORT_MAX_FILE_BYTES + 1 - self.kept
        if room <= 0:
            return None  # the handlers after this one never see it
        chunk = raw_data[:room]
        self.kept += len(chunk)
        return chunk

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler makes the file, from what was kept


class LimitedImportForm(ImportForm):
    """The upload form, refusing a file over the size limit before anything reads it."""

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > settings.IMPORT_MAX_FILE_BYTES:
            raise ValidationError(str(too_large()), code="too_large")
        return upload


def check_unpacked_size(data: bytes) -> None:
    """Refuses an XLSX (a zip archive) that unpacks to more than IMPORT_MAX_XLSX_UNPACKED_BYTES.

    The sizes the archive declares are checked first; they are not trusted, so every member is then
    unpacked as a stream and counted, and reading stops as soon as the count passes the limit.
    """
    limit = settings.IMPORT_MAX_XLSX_UNPACKED_BYTES
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if sum(member.file_size for member in members) > limit:
                raise too_large_unpacked()
            unpacked = 0
            for member in members:
                with archive.open(member) as stream:
                    while chunk := stream.read(64 * 1024):
                        unpacked += len(chunk)
                        if unpacked > limit:
                            raise too_large_unpacked()
    except ImportRefused:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, ValueError) as error:
        raise not_a_workbook() from error


def limited_dataset(headers: list, rows: Iterable[Iterable]) -> tablib.Dataset:
    """The rows under `headers`, as imported values, refused past IMPORT_MAX_ROWS before any is used.

    Every row counts; fully empty ones are then left out (a sheet's formatted rows below its data).
    A value the export neutralised (`core.spreadsheets`) is restored, so a file imports back exactly,
    and an empty XLSX cell is an empty text, as in a CSV (a text column without a value is "", not NULL).
    """
    limit = settings.IMPORT_MAX_ROWS
    width = len(headers)
    kept = []
    for count, row in enumerate(rows, 1):
        if count > limit:
            raise too_many_rows()
        values = ["" if value is None else restore(value) for value in row]
        if any(value != "" for value in values):
            kept.append(values + [""] * (width - len(values)))  # a longer row is an error, as in tablib
    return tablib.Dataset(*kept, headers=headers)


class LimitedCSV(CSV):
    """CSV import under the row limit: the rows are counted as they are read, never all kept first."""

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            in_stream = in_stream.decode(self.encoding or "utf-8-sig")
        reader = csv.reader(io.StringIO(in_stream))
        headers = next(reader, [])
        return limited_dataset(headers, (row for row in reader if row))


class LimitedXLSX(XLSX):
    """XLSX import under the limits: the unpacked size is checked before openpyxl opens the workbook,
    and the first sheet is read row by row, no wider than its header, up to the row limit."""

    def create_dataset(self, in_stream, **kwargs):
        check_unpacked_size(in_stream)
        # data_only: a formula cell gives the value it last showed, never the formula.
        book = openpyxl.load_workbook(io.BytesIO(in_stream), read_only=True, data_only=True)
        try:
            sheet = book.active
            header = next(sheet.iter_rows(max_row=1, values_only=True), ())
            headers = list(header)
            while headers and headers[-1] in (None, ""):
                headers.pop()  # the sheet's declared width, past its last header
            return limited_dataset(headers, self._rows(sheet, len(headers)))
        finally:
            book.close()

    @staticmethod
    def _rows(sheet, width: int) -> Iterator[tuple]:
        if not width:
            return iter(())
        return sheet.iter_rows(min_row=2, max_col=width, values_only=True)


class LabelledExportForm(SelectableFieldsExportForm):
    """The export form, its column boxes labelled in the reader's language: "Region (region)"."""

    def _get_field_label(self, resource, field_name: str) -> str:
        field = resource.fields.get(field_name)
        try:
            label = resource._meta.model._meta.get_field(field.attribute if field else field_name).verbose_name
        except FieldDoesNotExist:
            return super()._get_field_label(resource, field_name)
        return f"{capfirst(label)} ({field_name})"


class TrackerExportMixin(ExportMixin):
    """Export of the changelist as it is filtered and searched, to CSV or XLSX, for whoever may see it.

    Place it before `TrackerModelAdmin` in the bases. CSV is UTF-8 with a byte order mark, so that
    Excel shows Chinese names as they are.
    """

    export_formats = [CSV, XLSX]
    export_form_class = LabelledExportForm
    to_encoding = "utf-8-sig"

    def has_export_permission(self, request):
        return self.has_view_or_change_permission(request)

    def get_data_for_export(self, request, queryset, **kwargs) -> tablib.Dataset:
        # Here rather than in each resource, so that no export of the site can forget it.
        data = super().get_data_for_export(request, queryset, **kwargs)
        return tablib.Dataset(*(tuple(map(neutralise, row)) for row in data), headers=data.headers)


class TrackerImportExportMixin(TrackerExportMixin, ImportExportMixin):
    """Export, plus import from CSV or XLSX for whoever may add and change the model.

    The import's dry run previews the rows; the confirmation imports them all or none.
    """

    import_formats = [LimitedCSV, LimitedXLSX]
    import_form_class = LimitedImportForm
    import_export_change_list_template = "admin/import_export/change_list_import_export.html"
    tmp_storage_class = ImportFileStorage

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        # A row refused at confirmation (the data changed since the dry run) rolls back every row.
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        # An upload that cannot be confirmed (its file could not be read, or has bad rows) is not kept.
        context = getattr(response, "context_data", None) or {}
        upload = getattr(context.get("form"), "cleaned_data", {}).get("import_file")
        name = getattr(upload, "tmp_storage_name", None)
        if name and "confirm_form" not in context:
            with contextlib.suppress(FileNotFoundError):
                self.get_tmp_storage_class()(name=name).remove()
        return response

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, ImportRefused):
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def process_import(self, request, **kwargs):
        try:
            return super().process_import(request, **kwargs)
        except (FileNotFoundError, SuspiciousOperation):
            messages.error(request, _("That upload is gone (was it already imported?). Upload the file again."))
        except ImportRefused as refusal:  # the limits were lowered between the preview and the confirmation
            messages.error(request, str(refusal))
            with contextlib.suppress(FileNotFoundError, SuspiciousOperation):
                self.get_tmp_storage_class()(name=request.POST.get("import_file_name", "")).remove()
        return HttpResponseRedirect(reverse("admin:{}_{}_import".format(*self.get_model_info())))

    def process_result(self, result, request):
        if not (result.has_errors() or result.has_validation_errors()):
            return super().process_result(result, request)
        # Rolled back: nothing was written. Show why, on the upload page.
        messages.error(request, _("Nothing was imported: correct the rows below and upload the file again."))
        context = self.get_import_context_data()
        context.update(self.admin_site.each_context(request))
        form = self.get_import_form_class(request)(self.get_import_formats(), self.get_import_resource_classes(request))
        context.update(
            title=_("Import"),
            form=form,
            opts=self.model._meta,
            media=self.media + form.media,
            result=result,
            import_error_display=self.import_error_display,
        )
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.import_template_name], context)

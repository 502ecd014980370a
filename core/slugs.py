"""Latin slugs for records named in Chinese: a record's address in the API and the admin.

A clerk entering `科伦龙泉高端制剂项目` need not invent a Latin slug: left empty, it is derived from the name,
Chinese characters as their pinyin (pypinyin, the maintained library for it), Latin text as it is, and
made unique with a number. Once written, a slug never changes by itself: links to the record keep working.
"""

from __future__ import annotations

from django.db import models
from django.utils.text import slugify
from pypinyin import lazy_pinyin


def latin_slug(text: str, max_length: int) -> str:
    """`科伦 Kelun 2024` -> `ke-lun-kelun-2024`: pinyin syllables and Latin words, lower case, hyphenated."""
    return slugify(" ".join(lazy_pinyin(text)))[:max_length].strip("-")


def unique_slug(model: type[models.Model], text: str, max_length: int, *, exclude_pk: int | None = None) -> str:
    """A slug for `text` that no other row of `model` has: `name`, else `name-2`, `name-3`, ..."""
    base = latin_slug(text, max_length - 6) or model._meta.model_name
    taken = set(
        model._default_manager.filter(slug__startswith=base).exclude(pk=exclude_pk).values_list("slug", flat=True)
    )
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


class SlugFromName(models.Model):
    """A record whose `slug` may be left empty when it is created: it is then derived from `name` on save.

    An existing record whose slug is sent empty keeps the one it has.
    """

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.fill_slug()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "slug"}
        super().save(*args, **kwargs)

    def fill_slug(self) -> None:
        if self.slug:
            return
        model = type(self)
        kept = model._default_manager.filter(pk=self.pk).values_list("slug", flat=True).first() if self.pk else None
        self.slug = kept or unique_slug(model, self.name, model._meta.get_field("slug").max_length, exclude_pk=self.pk)

    def clean_fields(self, exclude=None) -> None:
        super().clean_fields(exclude=exclude)
        # Before the uniqueness and constraint checks of full_clean(), which then see the slug to be saved.
        if self.name:
            self.fill_slug()

"""Messages of the libraries the admin shows that their catalogues leave without Chinese, given Chinese in ours.

Django reads every catalogue and the project's (LOCALE_PATHS) first, so an entry in
locale/zh_Hans/LC_MESSAGES/django.po translates a library's message wherever it passes through gettext.
makemessages only keeps entries for messages marked in the project's own code: they are marked here, word for
word as each library writes them. Nothing imports this module. tests/test_i18n_sweep.py finds any message a
page shows that is still English under zh-hans, so a library upgrade that adds one fails there.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

DJANGO_ADMIN = (
    # The index's table headers (read out by screen readers), the user form, a form's error note.
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    # Django's own wording, with its typographic apostrophes: makemessages reads no \u escapes.
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),  # noqa: RUF001
    gettext_noop("Error:"),
    gettext_noop("Forgotten your login credentials?"),
    gettext_noop("In case you’ve forgotten, you are:"),  # noqa: RUF001
    # A form's choice of a record that does not exist (django/conf/locale).
    gettext_noop("%(model)s instance with %(field)s %(value)r is not a valid choice."),
)

PGHISTORY = (
    # The button beside a record's History button, and in a changelist (pghistory's admin templates).
    gettext_noop("Events"),
)

IMPORT_EXPORT = (
    gettext_noop("Select all"),
    ngettext_lazy("Export %(len)s selected item.", "Export %(len)s selected items.", "len"),
    gettext_noop(
        "%(exc_name)s encountered while trying to read file. Ensure you have chosen the correct format for the file."
    ),
    gettext_noop("No valid data to import. Ensure your file has the correct headers or data for import."),
    gettext_noop("export failed due to IllegalCharacterError"),
    gettext_noop("Resource"),
    gettext_noop('Select at least 1 field for "%(resource_name)s" to export'),
    gettext_noop("Value could not be parsed."),
)

AXES = (
    # Failed logins and lockouts: the models', fields' and admin's names.
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("Access Attempt"),
    gettext_noop("Access lock out"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Attempt Time"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Expires At"),
    gettext_noop("Failed Logins"),
    gettext_noop("Form Data"),
    gettext_noop("GET Data"),
    gettext_noop("HTTP Accept"),
    gettext_noop("IP Address"),
    gettext_noop("Locked Out"),
    gettext_noop("Logout Time"),
    gettext_noop("Meta Data"),
    gettext_noop("Not set"),
    gettext_noop("POST Data"),
    gettext_noop("Path"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("User Agent"),
)

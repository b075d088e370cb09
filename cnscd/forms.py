"""Form fields of the portal's pages and admin that clean their text (``cnscd.text.clean_text``) before checking it.

Page forms declare ``forms.CharField`` from here instead of Django's; model forms (the admin) get them from the
model fields ``cnscd.text.CharField`` / ``cnscd.text.TextField``. The bound (``max_length``) applies to the clean
text, so a name typed decomposed (NFD, longer) is not refused for the characters it loses.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from cnscd.text import NOTE_MAX_LENGTH, clean_text


class CharField(forms.CharField):
    """A line of text: NFC, without zero-width or control characters, spaces collapsed, stripped."""

    multiline = False

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        return clean_text(value, multiline=self.multiline)


class TextField(CharField):
    """A multi-line note (line breaks kept), at most NOTE_MAX_LENGTH characters unless told otherwise."""

    multiline = True
    widget = forms.Textarea

    def __init__(self, *, max_length: int | None = NOTE_MAX_LENGTH, **kwargs):
        super().__init__(max_length=max_length, **kwargs)


def form_errors(form: forms.Form, error: ValidationError | PermissionDenied) -> None:
    """Show a service's refusal on the page's form: each message next to the field it names, the others (and a
    refusal of permission) at the top. The API's side of the same errors is ``cnscd.exceptions``."""
    if isinstance(error, PermissionDenied):
        form.add_error(None, str(error) if error.args else _("Your role does not allow this action."))
        return
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)

"""Form fields of the portal's pages and admin that clean their text (``cnscd.text.clean_text``) before checking it.

Page forms declare ``forms.CharField`` from here instead of Django's; model forms (the admin) get them from the
model fields ``cnscd.text.CharField`` / ``cnscd.text.TextField``. The bound (``max_length``) applies to the clean
text, so a name typed decomposed (NFD, longer) is not refused for the characters it loses.
"""

from __future__ import annotations

from django import forms

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

"""API fields that clean their text (``cnscd.text.clean_text``) before checking it, and the base ModelSerializer.

Every serializer of the API derives from ``ModelSerializer`` here (its model text fields become the fields below)
or declares its text fields from here; ``tests/test_text.py`` walks every serializer to keep it so. The text is
cleaned before DRF's own checks: blank, ``max_length`` (counted on the clean text) and the validators.
"""

from __future__ import annotations

from django.db import models
from rest_framework import serializers
from rest_framework.fields import empty

from cnscd.text import clean_text


class CleanTextMixin:
    multiline = False

    def run_validation(self, data=empty):
        if isinstance(data, str):
            data = clean_text(data, multiline=self.multiline)
        return super().run_validation(data)


class CharField(CleanTextMixin, serializers.CharField):
    """A line of text (name, code, address, phone as typed): NFC, no invisible characters, spaces collapsed."""


class TextField(CleanTextMixin, serializers.CharField):
    """A multi-line note: its line breaks and tabs are kept."""

    multiline = True


class EmailField(CleanTextMixin, serializers.EmailField):
    pass


class SlugField(CleanTextMixin, serializers.SlugField):
    pass


class URLField(CleanTextMixin, serializers.URLField):
    pass


class RegexField(CleanTextMixin, serializers.RegexField):
    pass


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer whose fields for model text fields clean their text."""

    serializer_field_mapping = serializers.ModelSerializer.serializer_field_mapping | {
        models.CharField: CharField,
        models.TextField: TextField,
        models.EmailField: EmailField,
        models.SlugField: SlugField,
        models.URLField: URLField,
    }

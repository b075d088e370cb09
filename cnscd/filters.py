"""The text filter of every API list (``?q=``, ``?code=``): the query is cleaned as stored text is
(``cnscd.text.clean_text``), so a name typed decomposed (NFD) or with zero-width characters finds its row."""

from __future__ import annotations

import django_filters

from cnscd import forms


class CharFilter(django_filters.CharFilter):
    field_class = forms.CharField

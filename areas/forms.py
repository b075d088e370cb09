from django import forms
from django.utils.translation import gettext_lazy as _

from areas.models import HAMLET_KINDS
from cnscd import forms as clean


class HamletForm(forms.Form):
    name = clean.CharField(label=_("Hamlet name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=[(k, k) for k in HAMLET_KINDS])
    code = clean.CharField(label=_("Code (optional)"), max_length=20, required=False)

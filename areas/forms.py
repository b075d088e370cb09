from django import forms
from django.utils.translation import gettext_lazy as _

from areas.models import HAMLET_KINDS


class HamletForm(forms.Form):
    name = forms.CharField(label=_("Hamlet name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=[(k, k) for k in HAMLET_KINDS])
    code = forms.CharField(label=_("Code (optional)"), max_length=20, required=False)

from django import forms
from django.utils.translation import gettext_lazy as _

from cnscd import forms as clean
from members.models import Gender, MemberRole, Organization

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MemberForm(forms.Form):
    full_name = clean.CharField(label=_("Full name"), max_length=150)
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices)
    birth_year = forms.IntegerField(label=_("Birth year"), required=False, min_value=1900, max_value=2100)
    phone = clean.CharField(
        label=_("Mobile phone"), max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    citizen_id = clean.CharField(
        label=_("Citizen-ID (optional)"),
        max_length=20,
        required=False,
        help_text=_("Only a keyed hash and the last 4 digits are kept. Leave empty to keep the current one."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    organization = forms.ChoiceField(label=_("Organisation"), choices=Organization.choices)
    role = forms.ChoiceField(label=_("Role in the team"), choices=MemberRole.choices, initial=MemberRole.MEMBER)
    joined_on = forms.DateField(label=_("Joined on"), required=False, widget=DATE)
    trained_on = forms.DateField(
        label=_("Finished the “Phổ cập kỹ năng số cộng đồng” course on"), required=False, widget=DATE
    )


class RetireForm(forms.Form):
    left_on = forms.DateField(label=_("Left the team on"), widget=DATE)

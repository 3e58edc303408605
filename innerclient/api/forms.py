"""The coordinator's form for a new API token."""

from django import forms
from django.utils.translation import gettext_lazy as _

from innerclient.api.models import Scope


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “HR system sync”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Give a token only what its integration needs."),
    )

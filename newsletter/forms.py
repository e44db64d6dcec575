from django import forms
from django.core.validators import validate_email

from newsletter.consent import CONSENT_WORDING
from newsletter.models import Subscriber


class SignupForm(forms.Form):
    email = forms.CharField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={"required": "Enter your email address."},
    )
    name = forms.CharField(
        label="Name (optional)",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    consent = forms.BooleanField(
        label=CONSENT_WORDING,
        error_messages={"required": "Tick the box to agree to receive the newsletter."},
    )
    # People never see this field; bots that fill every field do.
    website = forms.CharField(
        label="Leave this field empty",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    source = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        # Stored lower-cased; a few characters grow when lower-cased ("İ" becomes two).
        if len(email.lower()) > Subscriber._meta.get_field("email").max_length:
            raise forms.ValidationError("This email address is too long.", code="max_length")
        try:
            validate_email(email)
        except forms.ValidationError:
            raise forms.ValidationError(
                "Enter a valid email address, like name@example.org.", code="invalid"
            ) from None
        return email

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean_source(self):
        source = self.cleaned_data["source"]
        # Only our own pages: a path, never another site's URL.
        return source if source.startswith("/") and not source.startswith("//") else ""

    def is_bot(self):
        return bool(self.cleaned_data.get("website"))

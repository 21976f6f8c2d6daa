from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm, _unicode_ci_compare
from django.utils.translation import gettext_lazy as _

from ims import lockout
from ims.models import UnitKind, User


class LoginForm(AuthenticationForm):
    """Sign-in that locks an account (or a source) after repeated failures."""

    error_messages = {
        "invalid_login": _("The username or password is not correct."),
        "inactive": _("This account has been deactivated."),
        "locked": _(
            "Too many failed sign-ins. The account is locked for %(minutes)s minutes; "
            "try again later or ask your quality manager."
        ),
    }

    remember = forms.BooleanField(
        label=_("Keep me signed in after the browser closes (only on your own device)"),
        required=False,
    )

    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip()
        password = self.cleaned_data.get("password")
        address = lockout.client_address(self.request) if self.request else None
        if not username or not password:
            raise self.get_invalid_login_error()
        try:
            lockout.check(username, address)
        except lockout.Locked as locked:
            raise forms.ValidationError(
                self.error_messages["locked"], code="locked", params={"minutes": locked.minutes}
            ) from None
        self.user_cache = authenticate(self.request, username=username, password=password)
        if self.user_cache is None:
            user = lockout.record_failure(username, address)
            if user is not None and user.is_locked():
                raise forms.ValidationError(
                    self.error_messages["locked"],
                    code="locked",
                    params={"minutes": settings.LOGIN_LOCKOUT_MINUTES},
                )
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        lockout.record_success(self.user_cache)
        return self.cleaned_data


class AdminLoginForm(LoginForm):
    """The admin site's sign-in: the same lockout, and only staff get in."""

    error_messages = {
        **LoginForm.error_messages,
        "invalid_login": _(
            "Enter the username and password of a staff account. Both may be case-sensitive."
        ),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise self.get_invalid_login_error()


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Reset by email, also for accounts created by an import that have no password yet."""

    def get_users(self, email):
        email_field = User.get_email_field_name()
        candidates = User.objects.filter(**{f"{email_field}__iexact": email, "is_active": True})
        # As Django does: no match through Unicode case folding tricks.
        return (u for u in candidates if _unicode_ci_compare(email, getattr(u, email_field)))


class SignForm(forms.Form):
    """Re-enter the password to sign: used by every module's approval step."""

    password = forms.CharField(
        label=_("Your password (to sign)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ImportForm(forms.Form):
    KIND_CHOICES = [("units", _("Organisation units")), ("users", _("Users and memberships"))]

    kind = forms.ChoiceField(label=_("What the file contains"), choices=KIND_CHOICES)
    file = forms.FileField(label=_("CSV or XLSX file"))
    dry_run = forms.BooleanField(
        label=_("Dry run: check every row, import nothing"), required=False, initial=True
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB."),
                params={"size": settings.IMPORT_MAX_BYTES // (1024 * 1024)},
            )
        return upload


class UnitFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    kind = forms.ModelChoiceField(
        label=_("Kind"), queryset=UnitKind.objects.all(), required=False, empty_label=_("All kinds")
    )


class ProfileForm(forms.ModelForm):
    """What a person sets for themselves: contact, language, and how notifications reach them."""

    class Meta:
        model = User
        # Not the name: signatures show it, so it is set by managers and imports only.
        fields = ["phone", "language", "email_delivery"]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give a reason for this change.")},
    )

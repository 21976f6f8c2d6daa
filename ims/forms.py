import hashlib
import time
from collections.abc import Iterator
from typing import Any, cast
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm, _unicode_ci_compare
from django.core import validators
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ims import lockout
from ims.cache import count
from ims.models import UnitKind, User
from ims.proxies import client_address


class LoginForm(AuthenticationForm):
    """Sign-in through django-axes (``ims.lockout``): a (username, address) pair with too many
    failures is paused for a few minutes. The messages never tell whether a username exists."""

    error_messages = {
        "invalid_login": _("The username or password is not correct."),
        "inactive": _("This account has been deactivated."),
        "locked": _(
            "Too many failed sign-ins with this username from this network. Wait %(minutes)s "
            "minutes and try again, or reset your password."
        ),
    }

    remember = forms.BooleanField(
        label=_("Keep me signed in after the browser closes (only on your own device)"),
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        username = (self.cleaned_data.get("username") or "").strip()
        password = self.cleaned_data.get("password")
        if not username or not password:
            raise self.get_invalid_login_error()
        self.user_cache = authenticate(self.request, username=username, password=password)
        if self.user_cache is None:
            if lockout.is_locked_out(self.request):
                raise forms.ValidationError(
                    self.error_messages["locked"],
                    code="locked",
                    params={"minutes": lockout.lockout_minutes()},
                )
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class AdminLoginForm(LoginForm):
    """The admin site's sign-in: the same lockout, and only staff get in."""

    error_messages = {
        **LoginForm.error_messages,
        "invalid_login": _(
            "Enter the username and password of a staff account. Both may be case-sensitive."
        ),
    }

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise self.get_invalid_login_error()


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """The old password is checked through the sign-in lockout: wrong ones count, and a paused
    (username, address) pair gets the same answer as a wrong password."""

    error_messages = {
        **auth_forms.PasswordChangeForm.error_messages,
        "password_incorrect": _(
            "Your old password is not correct, or it was entered wrongly too many times (then "
            "wait %(minutes)s minutes)."
        ),
    }

    def __init__(
        self, user: User, *args: Any, request: HttpRequest | None = None, **kwargs: Any
    ) -> None:
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self) -> str:
        old_password = self.cleaned_data["old_password"]
        if not lockout.password_matches(self.user, old_password, self.request):
            raise forms.ValidationError(
                self.error_messages["password_incorrect"],
                code="password_incorrect",
                params={"minutes": lockout.lockout_minutes()},
            )
        return old_password


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Reset by email, also for accounts created by an import that have no password yet.

    Requests are limited per client address and per e-mail address asked for (counted whether
    or not an account has it, so the answer tells nothing), and the link in the email is built
    from ``SITE_URL``, never from the request's Host header.
    """

    error_messages = {
        "too_many": _("Too many password reset requests. Try again in an hour."),
    }

    def __init__(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        hour = int(time.time() // 3600)
        address = client_address(self.request) if self.request else None
        limits = [
            (f"reset:address:{address}", settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR),
            (f"reset:email:{email.strip().casefold()}", settings.PASSWORD_RESET_PER_EMAIL_PER_HOUR),
        ]
        for key, limit in limits:
            digest = hashlib.sha256(f"{settings.SECRET_KEY}:{key}".encode()).hexdigest()[:24]
            if count(f"password-reset:{digest}:{hour}", 3600) > limit:
                raise forms.ValidationError(self.error_messages["too_many"], code="too_many")
        return email

    def save(self, **kwargs: Any) -> None:  # type: ignore[override]  # takes only keywords
        site = urlsplit(settings.SITE_URL)
        kwargs["domain_override"] = site.netloc
        kwargs["use_https"] = site.scheme == "https"
        return super().save(**kwargs)

    def get_users(self, email: str) -> Iterator[User]:
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

    def clean_file(self) -> UploadedFile:
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


class ApiTokenForm(forms.Form):
    """A new personal API token: only its name, which says what uses it."""

    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What uses it, e.g. “tablet of the audit team”."),
        error_messages={"required": _("Name the token (what uses it).")},
    )


class ReasonForm(forms.Form):
    """Why a step is taken; the reason goes to the record's history and its transition event.

    Every app's steps use this form: ``required=False`` where a step may be taken without a
    reason, ``max_length`` where the page limits how long one may be.
    """

    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give a reason for this change.")},
    )

    def __init__(
        self, *args: Any, required: bool = True, max_length: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.CharField, self.fields["reason"])
        field.required = required
        if max_length is not None:
            field.max_length = max_length
            field.validators.append(validators.MaxLengthValidator(max_length))
            field.widget.attrs.update(field.widget_attrs(field.widget))

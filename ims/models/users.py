from typing import TYPE_CHECKING, Any, ClassVar, NoReturn, Self

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ims.search import SearchTextField, fold_join

if TYPE_CHECKING:
    from ims.access import AnyUser


def refuse_rename() -> NoReturn:
    raise PermissionDenied(_("A username cannot be changed, so that it is never reused."))


class UserQuerySet(models.QuerySet):
    def delete(self) -> NoReturn:
        raise PermissionDenied(_("User accounts are deactivated, never deleted."))

    def update(self, **kwargs: Any) -> int:
        if "username" in kwargs:
            refuse_rename()
        return super().update(**kwargs)

    def for_user(self, user: "AnyUser") -> Self:
        """People this user may see: those with a membership in a unit the user can see."""
        from ims.access import units_visible_to
        from ims.models.org import Membership

        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        visible = Membership.objects.filter(
            user=models.OuterRef("pk"), unit__in=units_visible_to(user)
        )
        return self.filter(models.Q(pk=user.pk) | models.Exists(visible))


class IMSUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    class Status(models.TextChoices):
        """Account states as recorded in its workflow history (the field is ``is_active``)."""

        ACTIVE = "active", _("Active")
        DEACTIVATED = "deactivated", _("Deactivated")

    class EmailDelivery(models.TextChoices):
        IMMEDIATE = "immediate", _("Each notification at once")
        DIGEST = "digest", _("One daily digest")
        NONE = "none", _("No email")

    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="vi"
    )
    email_delivery = models.CharField(
        _("email notifications"),
        max_length=10,
        choices=EmailDelivery.choices,
        default=EmailDelivery.IMMEDIATE,
    )
    deactivated_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Name and username folded (no case, no diacritics): people pickers search it.
    search_text = SearchTextField()
    # Set when a manager gives a first password (people imported without an e-mail); the
    # person must choose their own at sign-in (ims.middleware.ForcePasswordChangeMiddleware).
    must_change_password = models.BooleanField(default=False, editable=False)

    objects: ClassVar[IMSUserManager] = IMSUserManager()
    history = HistoricalRecords(excluded_fields=["last_login", "password", "search_text"])
    # The username as loaded, to tell a rename on save.
    _stored_username: str | None

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(Lower("username"), name="ims_user_username_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def set_password(self, raw_password: str | None) -> None:
        """A password the person sets themselves (change, reset) ends the duty to change the
        one their manager gave (``accounts.user_set_first_password`` sets it after this)."""
        super().set_password(raw_password)
        self.must_change_password = False

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> Self:
        user = super().from_db(db, field_names, values)
        user._stored_username = user.__dict__.get("username")
        return user

    NAME_FIELDS = frozenset({"username", "full_name", "first_name", "last_name"})

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A stored username never changes (PostgreSQL also refuses it by a trigger)."""
        update_fields = kwargs.get("update_fields")
        if not self._state.adding and (update_fields is None or "username" in update_fields):
            stored = getattr(self, "_stored_username", None)
            if stored is None:
                stored = User.objects.filter(pk=self.pk).values_list("username", flat=True).first()
            if stored is not None and stored != self.username:
                refuse_rename()
        self.search_text = self.folded_name()
        # A save of other fields (signing in writes ``last_login``) stays as narrow as asked.
        if update_fields is not None and self.NAME_FIELDS & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)
        self._stored_username = self.username

    def folded_name(self) -> str:
        return fold_join(self.username, self.full_name, self.first_name, self.last_name)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionDenied(_("User accounts are deactivated, never deleted."))

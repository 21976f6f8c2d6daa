"""Import of organisation units and users from CSV or XLSX.

Every row is checked first and errors are reported by row number; the import itself runs in one
transaction, so a file with any bad row imports nothing. Rows are matched by code (units) or
username (users): importing the same file twice changes nothing the second time.
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import CharField, Model, Prefetch
from django.db.models.functions import Lower
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from ims.access import (
    MANAGER_ROLES,
    has_role,
    manager_paths,
    may_assign_role,
    may_manage_account,
    units_visible_to,
)
from ims.files import zip_is_reasonable
from ims.models import Membership, OrgUnit, Role, SchoolLevel, UnitKind, User

UNIT_COLUMNS = ("code", "name", "kind", "parent_code", "levels", "address", "active")
UNIT_REQUIRED = ("code", "name", "kind")
USER_COLUMNS = ("username", "full_name", "email", "unit_code", "role", "job_title", "language")
USER_REQUIRED = ("username", "unit_code", "role")
USERNAME_RE = re.compile(r"^[\w.@+-]{1,150}$")
MAX_ROWS = 20000


class ImportFileError(Exception):
    """The file as a whole cannot be read."""


class Row(dict[str, str]):
    """A data row: each cell's text under its lower-case header; ``line``: its line in the file."""

    line: int


@dataclass
class RowResult:
    line: int
    key: str
    errors: list[str] = field(default_factory=list)
    action: str = ""


@dataclass
class ImportResult:
    kind: str
    rows: list[RowResult]
    file_errors: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.file_errors and not any(row.errors for row in self.rows)

    @property
    def error_rows(self) -> list[RowResult]:
        return [row for row in self.rows if row.errors]

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)


# A checked row with what it resolved to: (result, row, kind, level codes, active) for a unit,
# (result, row, unit, role, language) for a membership.
ParsedUnit = tuple[RowResult, Row, UnitKind | None, list[str], bool]
ParsedUser = tuple[RowResult, Row, OrgUnit | None, str, str]


def read_table(data: bytes, filename: str = "") -> list[Row]:
    """Rows of the file as a list of dicts with lower-case headers; type from the content."""
    if not data:
        raise ImportFileError(_("The file is empty."))
    rows = _read_xlsx(data) if data[:4] == b"PK\x03\x04" else _read_csv(data)
    if not rows:
        raise ImportFileError(_("The file has a header row but no data rows."))
    if len(rows) > MAX_ROWS:
        raise ImportFileError(_("The file has more than %(n)s rows.") % {"n": MAX_ROWS})
    return rows


def _normalise_header(value: object) -> str:
    return str(value or "").strip().lower().replace(" ", "_")


def _read_csv(data: bytes) -> list[Row]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            _("The file is neither an XLSX workbook nor a UTF-8 CSV file.")
        ) from None
    if "\x00" in text:
        raise ImportFileError(_("The file is neither an XLSX workbook nor a UTF-8 CSV file."))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        table = list(reader)
    except csv.Error as error:
        raise ImportFileError(
            _("The CSV file is malformed: %(error)s") % {"error": error}
        ) from None
    return _rows_from_table(table)


def _read_xlsx(data: bytes) -> list[Row]:
    from openpyxl import load_workbook

    damaged = ImportFileError(_("The XLSX workbook is damaged or not a workbook."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if not zip_is_reasonable(archive):
                raise damaged
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            table: list[Sequence[object]] = []
            for row in workbook.worksheets[0].iter_rows(values_only=True):
                if all(cell is None or not str(cell).strip() for cell in row):
                    continue  # formatted but empty rows do not count towards the limit
                table.append(["" if cell is None else cell for cell in row])
                if len(table) > MAX_ROWS + 1:
                    raise ImportFileError(_("The file has more than %(n)s rows.") % {"n": MAX_ROWS})
        finally:
            workbook.close()
    except ImportFileError:
        raise
    except Exception:  # openpyxl raises many kinds of error on a damaged workbook
        raise damaged from None
    return _rows_from_table(table)


def _rows_from_table(cells: Sequence[Sequence[object]]) -> list[Row]:
    table = [row for row in cells if any(str(cell).strip() for cell in row)]
    if not table:
        raise ImportFileError(_("The file is empty."))
    headers = [_normalise_header(h) for h in table[0]]
    rows = []
    for number, values in enumerate(table[1:], start=2):
        row = Row((h, str(v).strip()) for h, v in zip(headers, values, strict=False) if h)
        row.line = number
        rows.append(row)
    return rows


def _parse_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"", "1", "true", "yes", "x", "có", "co"}:
        return True
    if lowered in {"0", "false", "no", "không", "khong"}:
        return False
    raise ValueError(value)


def _check_lengths(
    result: RowResult, row: Row, columns: Iterable[tuple[str, type[Model], str]]
) -> None:
    """Each ``(column, model, field)`` value fits its database column: reported on the row,
    naming the field (PostgreSQL would refuse the row with a DataError: a 500)."""
    for column, model, name in columns:
        column_field = cast(CharField, model._meta.get_field(name))  # text columns only
        limit = column_field.max_length
        value = row.get(column, "")
        if value and limit is not None and len(value) > limit:
            result.errors.append(
                _("%(field)s is longer than %(max)s characters (%(length)s).")
                % {
                    "field": capfirst(column_field.verbose_name),
                    "max": limit,
                    "length": len(value),
                }
            )


UNIT_LENGTHS = (("address", OrgUnit, "address"),)
USER_LENGTHS = (
    ("full_name", User, "full_name"),
    ("email", User, "email"),
    ("job_title", Membership, "title"),
)


def _check_columns(rows: list[Row], required: Iterable[str]) -> None:
    present = set(rows[0]) if rows else set()
    missing = [column for column in required if column not in present]
    if missing:
        raise ImportFileError(
            _("Required columns are missing: %(columns)s.") % {"columns": ", ".join(missing)}
        )


def import_units(
    data: bytes, *, user: User, dry_run: bool = True, filename: str = ""
) -> ImportResult:
    try:
        rows = read_table(data, filename)
        _check_columns(rows, UNIT_REQUIRED)
    except ImportFileError as error:
        return ImportResult("units", [], [str(error)])
    kinds = {k.code: k for k in UnitKind.objects.all()}
    levels = {lv.code: lv for lv in SchoolLevel.objects.all()}
    codes_in_file: dict[str, Row] = {}
    results: list[RowResult] = []
    parsed: list[ParsedUnit] = []
    for row in rows:
        code = row.get("code", "")
        result = RowResult(row.line, code)
        results.append(result)
        if not code:
            result.errors.append(_("Code is empty."))
        elif len(code) > 40:
            result.errors.append(_("Code is longer than 40 characters."))
        elif code in codes_in_file:
            result.errors.append(_("Code %(code)s appears twice in the file.") % {"code": code})
        else:
            codes_in_file[code] = row
        if not row.get("name"):
            result.errors.append(_("Name is empty."))
        elif len(row["name"]) > 200:
            result.errors.append(_("Name is longer than 200 characters."))
        _check_lengths(result, row, UNIT_LENGTHS)
        kind = kinds.get(row.get("kind", ""))
        if kind is None:
            result.errors.append(
                _("Unknown kind %(kind)r (known: %(known)s).")
                % {"kind": row.get("kind", ""), "known": ", ".join(kinds)}
            )
        level_codes = [c.strip() for c in re.split(r"[;,]", row.get("levels", "")) if c.strip()]
        unknown = [c for c in level_codes if c not in levels]
        if unknown:
            result.errors.append(
                _("Unknown school level: %(levels)s.") % {"levels": ", ".join(unknown)}
            )
        if level_codes and kind is not None and not kind.is_school:
            result.errors.append(_("Only schools have school levels."))
        try:
            active = _parse_bool(row.get("active", ""))
        except ValueError:
            result.errors.append(_("Active must be yes or no."))
            active = True
        parsed.append((result, row, kind, level_codes, active))

    existing = {
        u.code: u
        for u in OrgUnit.objects.select_related("parent").filter(
            code__in=[*codes_in_file, *(r.get("parent_code", "") for r in rows)]
        )
    }
    visible = set(
        units_visible_to(user).filter(code__in=list(existing)).values_list("code", flat=True)
    )
    for result, row, _kind, _levels, _active in parsed:
        _check_unit_authority(user, result, row, codes_in_file, existing, visible)
    _check_cycles(parsed, codes_in_file, existing)

    outcome = ImportResult("units", results)
    if not outcome.ok:
        return outcome
    order = _parent_first(parsed, codes_in_file)
    with transaction.atomic():
        units = dict(existing)
        for result, row, kind, level_codes, active in order:
            unit = units.get(row["code"])
            parent = units.get(row.get("parent_code", "")) if row.get("parent_code") else None
            result.action = "update" if unit else "create"
            unit = unit or OrgUnit(code=row["code"])
            unit.name, unit.kind, unit.parent, unit.is_active = row["name"], kind, parent, active
            unit.address = row.get("address", unit.address)
            unit.save()
            unit.levels.set([levels[c] for c in level_codes])
            units[unit.code] = unit
        if dry_run:
            transaction.set_rollback(True)
    outcome.applied = not dry_run
    return outcome


def _check_unit_authority(
    user: User,
    result: RowResult,
    row: Row,
    codes_in_file: dict[str, Row],
    existing: dict[str, OrgUnit],
    visible: set[str],
) -> None:
    """Changing a unit needs the manager role on it; placing one needs it on both parents."""
    code, parent_code = row.get("code", ""), row.get("parent_code", "")
    if parent_code and parent_code == code:
        result.errors.append(_("A unit cannot be its own parent."))
        return
    if parent_code and parent_code not in codes_in_file and parent_code not in existing:
        result.errors.append(_("Parent unit %(code)s does not exist.") % {"code": parent_code})
        return
    if user.is_superuser:
        return
    unit = existing.get(code)
    if unit is not None:
        if code not in visible:
            result.errors.append(
                _("Unit %(code)s exists outside your organisation.") % {"code": code}
            )
            return
        if not has_role(user, unit, MANAGER_ROLES):
            result.errors.append(_("You may not change unit %(code)s.") % {"code": code})
            return
        if parent_code == (unit.parent.code if unit.parent else ""):
            return
        if not (unit.parent and has_role(user, unit.parent, MANAGER_ROLES)):
            result.errors.append(
                _("You may not move unit %(code)s out of its current parent.") % {"code": code}
            )
            return
    if not parent_code:
        result.errors.append(_("Only an administrator may import a top-level unit."))
    elif parent_code in existing and not (
        parent_code in visible and has_role(user, existing[parent_code], MANAGER_ROLES)
    ):
        result.errors.append(_("You may not add units under %(code)s.") % {"code": parent_code})


def _check_cycles(
    parsed: list[ParsedUnit], codes_in_file: dict[str, Row], existing: dict[str, OrgUnit]
) -> None:
    parents = {
        row["code"]: row.get("parent_code", "") for _r, row, *_rest in parsed if row.get("code")
    }
    for result, row, *_rest in parsed:
        seen: set[str] = set()
        code = row.get("code")
        while code in parents and parents[code]:
            if code in seen:
                result.errors.append(_("The parent chain loops back to this unit."))
                break
            seen.add(code)
            code = parents[code]
        else:
            # A parent that already exists must not sit below this unit (a move into itself).
            parent = existing.get(row.get("parent_code", ""))
            own = existing.get(row.get("code", ""))
            if parent and own and parent.path.startswith(own.path):
                result.errors.append(_("A unit cannot be placed under itself."))


def _parent_first(parsed: list[ParsedUnit], codes_in_file: dict[str, Row]) -> list[ParsedUnit]:
    by_code = {row["code"]: item for item in parsed for row in [item[1]]}
    ordered: list[ParsedUnit] = []
    done: set[str] = set()

    def visit(code: str) -> None:
        if code in done or code not in by_code:
            return
        done.add(code)
        visit(by_code[code][1].get("parent_code", ""))
        ordered.append(by_code[code])

    for code in by_code:
        visit(code)
    return ordered


def import_users(
    data: bytes, *, user: User, dry_run: bool = True, filename: str = ""
) -> ImportResult:
    try:
        rows = read_table(data, filename)
        _check_columns(rows, USER_REQUIRED)
    except ImportFileError as error:
        return ImportResult("users", [], [str(error)])
    unit_codes = {row.get("unit_code", "") for row in rows}
    units = {u.code: u for u in units_visible_to(user).filter(code__in=unit_codes)}
    paths = manager_paths(user)
    languages = {code for code, _name in settings.LANGUAGES}
    results: list[RowResult] = []
    parsed: list[ParsedUser] = []
    seen: set[tuple[str, str, str]] = set()
    names: dict[str, str] = {}
    for row in rows:
        username = row.get("username", "")
        result = RowResult(row.line, username)
        results.append(result)
        if not USERNAME_RE.match(username):
            result.errors.append(_("Username must be 1–150 letters, digits or . @ + - _."))
        email = row.get("email", "")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                result.errors.append(_("Email %(email)s is not valid.") % {"email": email})
        _check_lengths(result, row, USER_LENGTHS)
        unit = units.get(row.get("unit_code", ""))
        if unit is None:
            result.errors.append(
                _("Unit %(code)s does not exist or is outside your organisation.")
                % {"code": row.get("unit_code", "")}
            )
        role = row.get("role", "")
        if role not in Role.values:
            result.errors.append(
                _("Unknown role %(role)r (known: %(known)s).")
                % {"role": role, "known": ", ".join(Role.values)}
            )
        elif unit is not None and not user.is_superuser and not may_assign_role(unit, role, paths):
            result.errors.append(
                _("You may not give the role %(role)s in %(code)s.")
                % {"role": Role(role).label, "code": unit.code}
            )
        language = row.get("language", "") or settings.LANGUAGE_CODE
        if language not in languages:
            result.errors.append(_("Unknown language %(code)r.") % {"code": language})
        key = (username.lower(), row.get("unit_code", ""), role)
        if key in seen:
            result.errors.append(_("This membership appears twice in the file."))
        seen.add(key)
        full_name = row.get("full_name", "")
        if full_name and names.setdefault(username.lower(), full_name) != full_name:
            result.errors.append(_("The same username has different full names in the file."))
        parsed.append((result, row, unit, role, language))
    _check_existing_people(user, parsed, paths)

    outcome = ImportResult("users", results)
    if not outcome.ok:
        return outcome
    with transaction.atomic():
        for result, row, unit, role, language in parsed:
            person = User.objects.filter(username__iexact=row["username"]).first()
            result.action = "update" if person else "create"
            if person is None:
                person = User(username=row["username"], language=language)
                person.set_unusable_password()
                person.email = row.get("email", "")
            person.full_name = row.get("full_name") or person.full_name
            person.save()
            Membership.objects.update_or_create(
                user=person,
                unit=unit,
                role=role,
                defaults={"title": row.get("job_title", ""), "is_active": True},
            )
        if dry_run:
            transaction.set_rollback(True)
    outcome.applied = not dry_run
    return outcome


def _check_existing_people(user: User, parsed: list[ParsedUser], paths: list[str]) -> None:
    """An import may touch an existing account only where the importer manages all of it.

    Otherwise a manager of one school could rename a colleague elsewhere or give them a role.
    An existing account's email is never changed by an import (it is where password resets go).
    """
    usernames = {row.get("username", "").lower() for _r, row, *_rest in parsed}
    people = {
        person.username.lower(): person
        for person in User.objects.annotate(lower=Lower("username"))
        .filter(lower__in=usernames)
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(is_active=True).select_related("unit"),
                to_attr="active_memberships",
            )
        )
    }
    for result, row, *_rest in parsed:
        person = people.get(row.get("username", "").lower())
        if person is None or user.is_superuser:
            continue
        if not may_manage_account(user, person, person.active_memberships, paths):
            result.errors.append(
                _("The account %(username)s exists and belongs to units you do not manage.")
                % {"username": person.username}
            )


IMPORTERS = {"units": import_units, "users": import_users}

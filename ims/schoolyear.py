"""School years (năm học): 1 September to 31 August, labelled "2025–2026"."""

from dataclasses import dataclass
from datetime import date
from typing import Self

from django.utils import timezone

START_MONTH = 9


@dataclass(frozen=True)
class SchoolYear:
    start_year: int

    @classmethod
    def of(cls, day: date) -> Self:
        return cls(day.year if day.month >= START_MONTH else day.year - 1)

    @classmethod
    def current(cls) -> Self:
        return cls.of(timezone.localdate())

    @classmethod
    def parse(cls, label: object) -> Self | None:
        """``"2025-2026"`` or ``"2025–2026"`` -> SchoolYear(2025); None when malformed."""
        parts = str(label or "").replace("–", "-").split("-")
        if len(parts) != 2 or not all(p.isdecimal() and len(p) == 4 for p in parts):
            return None
        first, second = int(parts[0]), int(parts[1])
        return cls(first) if second == first + 1 and 2000 <= first <= 2100 else None

    @property
    def first_day(self) -> date:
        return date(self.start_year, START_MONTH, 1)

    @property
    def last_day(self) -> date:
        return date(self.start_year + 1, START_MONTH - 1, 31)

    @property
    def label(self) -> str:
        return f"{self.start_year}–{self.start_year + 1}"

    @property
    def slug(self) -> str:
        return f"{self.start_year}-{self.start_year + 1}"

    def previous(self) -> "SchoolYear":
        return SchoolYear(self.start_year - 1)

    def __contains__(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def __str__(self) -> str:
        return self.label


def recent_years(count: int = 5, until: SchoolYear | None = None) -> list[SchoolYear]:
    last = until or SchoolYear.current()
    return [SchoolYear(last.start_year - i) for i in range(count)]

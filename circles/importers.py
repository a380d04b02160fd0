"""CSV import of people: decode an upload, check every row (a dry run), then create them all at once.

The reading and checking is pure: it takes text and what is already known about the emails in it, and
returns people or line-numbered errors in the active language. Only `find_existing` (one read per
900 emails) and `create_people` (the write, inside the caller's transaction) touch the database.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from circles import services
from circles.models import CoachProfile, Enrolment, Programme
from coaching.accounts import validators
from coaching.accounts.models import AvailabilityWindow, User
from coaching.accounts.validators import shown
from coaching.accounts.zones import language_codes, time_zone
from coaching.lib.text import check_line

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_STORED_ERRORS = 500
PROGRESS_EVERY = 500
MAX_FOCUS_AREA_LENGTH = 60
# Below every backend's limit on query parameters (SQLite's is the lowest).
QUERY_CHUNK = 900

# A second look proportional to the risk: importing more than CONFIRM_FLOOR people asks the admin to type
# their number when the file more than doubles the programme or holds more than CONFIRM_ABOVE people.
CONFIRM_FLOOR = 25
CONFIRM_ABOVE = 500

REQUIRED_COLUMNS = ("email", "name", "role", "timezone")
OPTIONAL_COLUMNS = ("languages", "focus_areas", "availability")
ROLES = {Enrolment.Role.MEMBER.value, Enrolment.Role.COACH.value}
WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
LIST_SEPARATORS = re.compile(r"[;,]")
WINDOW = re.compile(r"^([A-Za-z]+)\s+(\d{1,2}):(\d{2})\s*[-\u2013]\s*(\d{1,2}):(\d{2})$")


class UploadError(Exception):
    """The uploaded file cannot be read as CSV text; `str(error)` says why, for the person who sent it."""


@dataclass(frozen=True)
class RowError:
    """What is wrong on one line of the file (the header is line 1)."""

    line: int
    message: str

    def as_json(self) -> dict[str, int | str]:
        return {"line": self.line, "message": self.message}


def errors_for_reader(stored: list[dict[str, Any]], language: str) -> list[RowError]:
    """A job's stored errors in the reader's language (the uploader's wording where none was kept)."""
    return [
        RowError(item["line"], item.get("translations", {}).get(language, item["message"])) for item in stored
    ]


@dataclass(frozen=True)
class Window:
    """A weekly availability window in the person's local time."""

    weekday: int
    starts_at: dt.time
    ends_at: dt.time


@dataclass(frozen=True)
class Person:
    """One valid row: someone to enrol, with the profile a new account starts with."""

    line: int
    email: str
    name: str
    role: str
    timezone: str
    languages: tuple[str, ...]
    focus_areas: tuple[str, ...]
    availability: tuple[Window, ...]

    @property
    def key(self) -> str:
        """Emails are compared without regard to case."""
        return self.email.lower()


@dataclass(frozen=True)
class Existing:
    """What the database already holds for an email: the account(s) and its role in this programme."""

    user_id: int
    accounts: int
    role: str | None


@dataclass
class Checked:
    """The outcome of a dry run: the people when every row is valid, or the errors."""

    total_rows: int
    people: list[Person] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    existing: dict[str, Existing] = field(default_factory=dict)

    @property
    def new_accounts(self) -> int:
        return sum(1 for person in self.people if person.key not in self.existing)

    @property
    def joining(self) -> int:
        """People in the file who are not yet enrolled in the programme."""
        return sum(
            1 for person in self.people if getattr(self.existing.get(person.key), "role", None) is None
        )

    @property
    def coaches(self) -> int:
        return sum(1 for person in self.people if person.role == Enrolment.Role.COACH)

    @property
    def members(self) -> int:
        return sum(1 for person in self.people if person.role == Enrolment.Role.MEMBER)


@dataclass(frozen=True)
class Table:
    """The file split into cells: (line, {column: value}) per non-blank row, or header errors."""

    rows: list[tuple[int, dict[str, str]]]
    errors: list[RowError]


ProgressCallback = Callable[[int, int], None]


def decode_upload(data: bytes) -> str:
    """The upload as text (UTF-8, with or without BOM); UploadError when it is empty, too big or not text."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(too_big_message())
    if not data.strip():
        raise UploadError(
            _("The file is empty. Upload a CSV file with a header line and one line per person.")
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text" is UTF-16; its NUL bytes would otherwise read as "binary".
        raise UploadError(
            _("The file is saved as UTF-16. In Excel choose “CSV UTF-8” when saving, then upload again.")
        )
    if b"\x00" in data:
        raise UploadError(
            _(
                "This is not a CSV text file (it contains binary data). If it is an Excel workbook, "
                "open it and save it as “CSV UTF-8”, then upload again."
            )
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UploadError(
            _(
                "The file is not UTF-8 text (line %(line)d has a byte we cannot read). "
                "In Excel choose “CSV UTF-8” when saving, then upload again."
            )
            % {"line": line}
        ) from None


def needs_confirmation(*, enrolled: int, rows: int) -> bool:
    """Whether importing `rows` people into a programme of `enrolled` asks the admin to type that number."""
    return rows > CONFIRM_FLOOR and (rows > enrolled or rows > CONFIRM_ABOVE)


def sample(people: Sequence[Person], size: int) -> list[Person]:
    """Up to `size` people spread evenly from the first line of the file to the last (all when fewer)."""
    if len(people) <= size:
        return list(people)
    if size <= 1:
        return list(people[:size])
    step = (len(people) - 1) / (size - 1)
    return [people[round(i * step)] for i in range(size)]


def too_big_message() -> str:
    """The message for an upload over the size limit."""
    return _("The file is larger than %(size)d MB. Split it into smaller files.") % {
        "size": MAX_UPLOAD_BYTES // (1024 * 1024)
    }


def _column_name(raw: str) -> str:
    # A byte-order mark can survive when a file was saved twice by different tools.
    return re.sub(r"[\s-]+", "_", raw.replace("\ufeff", "").strip().lower())


def _delimiter(text: str) -> str:
    # Excel in Spanish, French or German locales saves "CSV" with semicolons.
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def read_table(text: str) -> Table:
    """Split CSV text into rows keyed by (normalised) column name, with physical line numbers."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        header = next(reader, None)
    except csv.Error as error:
        return Table([], [RowError(1, _("The header line cannot be read: %(reason)s.") % {"reason": error})])
    if not header or not any(cell.strip() for cell in header):
        return Table(
            [],
            [
                RowError(
                    1,
                    _("The first line must name the columns, e.g. %(example)s.")
                    % {"example": "email,name,role,timezone"},
                )
            ],
        )
    columns = [_column_name(cell) for cell in header]
    errors = [
        RowError(1, _("Column “%(column)s” appears twice.") % {"column": column})
        for column, count in Counter(columns).items()
        if column and count > 1
    ]
    errors += [
        RowError(1, _("Missing column: %(column)s") % {"column": column})
        for column in REQUIRED_COLUMNS
        if column not in columns
    ]
    if errors:
        return Table([], errors)
    known = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    wanted = {column: index for index, column in enumerate(columns) if column in known}
    rows: list[tuple[int, dict[str, str]]] = []
    while True:
        # A quoted cell may span lines, so a row starts on the line after the previous one ended.
        line = reader.line_num + 1
        try:
            cells = next(reader, None)
        except csv.Error as error:
            errors.append(RowError(line, _("This line cannot be read: %(reason)s.") % {"reason": error}))
            break
        if cells is None:
            break
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(columns) and any(cell.strip() for cell in cells[len(columns) :]):
            errors.append(
                RowError(
                    line,
                    _(
                        "This line has %(found)d values but the header has %(expected)d columns. "
                        "Put quotes around values that contain commas."
                    )
                    % {"found": len(cells), "expected": len(columns)},
                )
            )
            continue
        rows.append(
            (line, {column: cells[index] if index < len(cells) else "" for column, index in wanted.items()})
        )
    if not rows and not errors:
        errors.append(RowError(1, _("The file has a header but no people below it.")))
    return Table(rows, errors)


def _split_list(value: str) -> list[str]:
    seen: dict[str, None] = {}
    for item in LIST_SEPARATORS.split(value):
        item = " ".join(item.split())
        if item:
            seen.setdefault(item, None)
    return list(seen)


def _weekday(word: str) -> int | None:
    word = word.lower()
    if len(word) >= 3 and any(name.startswith(word) for name in WEEKDAY_NAMES):
        return WEEKDAYS.get(word[:3])
    return None


def _time(hours: str, minutes: str) -> dt.time | None:
    h, m = int(hours), int(minutes)
    return dt.time(h, m) if h < 24 and m < 60 else None


def parse_availability(value: str) -> tuple[list[Window], list[str]]:
    """Windows like "Mon 18:00-20:00; Wed 07:00-08:30" and the messages for parts that are not."""
    windows: list[Window] = []
    problems: list[str] = []
    for part in _split_list(value):
        match = WINDOW.match(part)
        weekday = _weekday(match.group(1)) if match else None
        starts_at = _time(match.group(2), match.group(3)) if match else None
        ends_at = _time(match.group(4), match.group(5)) if match else None
        if weekday is None or starts_at is None or ends_at is None:
            problems.append(
                _("Availability “%(value)s” is not like “%(example)s”.")
                % {"value": shown(part), "example": "Mon 18:00-20:00; Wed 07:00-08:30"}
            )
            continue
        try:
            validators.availability_window(starts_at=starts_at, ends_at=ends_at)
        except ValidationError as error:
            problems += error.messages
        else:
            windows.append(Window(weekday, starts_at, ends_at))
    return windows, problems


def check_people(
    rows: Sequence[tuple[int, dict[str, str]]],
    *,
    existing: Mapping[str, Existing],
    on_progress: ProgressCallback | None = None,
) -> tuple[list[Person], list[RowError]]:
    """Check each row by the profile's rules (coaching.accounts); people only when no row fails. Pure."""
    first_line: dict[str, int] = {}
    people: list[Person] = []
    errors: list[RowError] = []
    total = len(rows)
    for done, (line, cells) in enumerate(rows, start=1):
        problems: list[str] = []
        email = cells["email"].strip()
        key = email.lower()
        known: Existing | None = None
        if not email:
            problems.append(_("Email is missing."))
        else:
            try:
                validators.email_address(email)
            except ValidationError as error:
                problems += error.messages
            else:
                if key in first_line:
                    problems.append(_("Same email as line %(line)d.") % {"line": first_line[key]})
                else:
                    first_line[key] = line
                    known = existing.get(key)
                    if known is not None and known.accounts > 1:
                        problems.append(
                            _("%(count)d accounts use this email, so we cannot tell which one to enrol.")
                            % {"count": known.accounts}
                        )
        name = ""
        try:
            name = validators.display_name(cells["name"])
        except ValidationError as error:
            problems += error.messages
        role = cells["role"].strip().lower()
        if role not in ROLES:
            problems.append(
                _("Role must be “member” or “coach”, not “%(value)s”.")
                % {"value": shown(cells["role"].strip())}
            )
        elif known is not None and known.role not in (None, role):
            problems.append(
                _("This person already takes part in the programme as %(role)s.")
                % {"role": Enrolment.Role(known.role).label}
            )
        zone = ""
        if not cells["timezone"].strip():
            problems.append(_("Time zone is missing."))
        else:
            try:
                zone = time_zone(cells["timezone"])
            except ValidationError as error:
                problems += error.messages
        spoken: list[str] = []
        try:
            spoken = language_codes(_split_list(cells.get("languages", "")))
        except ValidationError as error:
            problems += error.messages
        focus_areas = _split_list(cells.get("focus_areas", ""))
        try:
            for area in focus_areas:
                check_line(area)
        except ValidationError as error:
            problems += error.messages
        if any(len(area) > MAX_FOCUS_AREA_LENGTH for area in focus_areas):
            problems.append(
                _("A focus area is longer than %(max)d characters.") % {"max": MAX_FOCUS_AREA_LENGTH}
            )
        windows, window_problems = parse_availability(cells.get("availability", ""))
        problems += window_problems
        if problems:
            errors += [RowError(line, problem) for problem in problems]
        elif not errors:  # once a row fails nothing will be created, so stop collecting people
            people.append(
                Person(
                    line=line,
                    email=User.objects.normalize_email(email),
                    name=name,
                    role=role,
                    timezone=zone,
                    languages=tuple(spoken),
                    focus_areas=tuple(focus_areas),
                    availability=tuple(windows),
                )
            )
        if on_progress is not None and done % PROGRESS_EVERY == 0:
            on_progress(done, total)
    if on_progress is not None:
        on_progress(total, total)
    return ([] if errors else people), errors


def find_existing(*, programme: Programme, emails: Iterable[str]) -> dict[str, Existing]:
    """Accounts that already use these emails (lower-cased keys), with their role in the programme."""
    keys = sorted({email.strip().lower() for email in emails if email.strip()})
    role_here = Enrolment.objects.filter(programme=programme, user=OuterRef("pk")).values("role")[:1]
    found: dict[str, Existing] = {}
    for start in range(0, len(keys), QUERY_CHUNK):
        accounts = (
            User.objects.annotate(email_key=Lower("email"), role_here=Subquery(role_here))
            .filter(email_key__in=keys[start : start + QUERY_CHUNK])
            .order_by("pk")
            .values_list("email_key", "pk", "role_here")
        )
        for key, pk, role in accounts:
            known = found.get(key)
            found[key] = (
                Existing(user_id=pk, accounts=1, role=role)
                if known is None
                else Existing(user_id=known.user_id, accounts=known.accounts + 1, role=known.role or role)
            )
    return found


def check(text: str, *, programme: Programme, on_progress: ProgressCallback | None = None) -> Checked:
    """The dry run of an import: read the file, look up its emails once, check every row."""
    table = read_table(text)
    if on_progress is not None:
        on_progress(0, len(table.rows))
    existing = find_existing(programme=programme, emails=(cells["email"] for _line, cells in table.rows))
    people, errors = check_people(table.rows, existing=existing, on_progress=on_progress)
    errors = sorted(table.errors + errors, key=lambda error: error.line)
    return Checked(
        total_rows=len(table.rows), people=[] if errors else people, errors=errors, existing=existing
    )


def _username_base(email: str) -> str:
    local = email.split("@", 1)[0].lower()
    base = re.sub(r"[^\w.+-]", "", local)[:30].strip(".")
    return base or "person"


def _usernames(emails: Sequence[str]) -> list[str]:
    """A unique username per email, from its local part; a number is added when the name is taken."""
    bases = [_username_base(email) for email in emails]
    distinct = sorted(set(bases))
    taken: set[str] = set()
    for start in range(0, len(distinct), QUERY_CHUNK):
        chunk = distinct[start : start + QUERY_CHUNK]
        taken.update(
            User.objects.annotate(key=Lower("username")).filter(key__in=chunk).values_list("key", flat=True)
        )
    # Only names that need a number can clash with numbered ones already in use, e.g. "maria2".
    repeated = Counter(bases)
    numbered = sorted(base for base in distinct if base in taken or repeated[base] > 1)
    for start in range(0, len(numbered), 100):
        query = Q()
        for base in numbered[start : start + 100]:
            query |= Q(username__istartswith=base)
        taken.update(name.lower() for name in User.objects.filter(query).values_list("username", flat=True))
    usernames = []
    for base in bases:
        candidate, number = base, 1
        while candidate in taken:
            number += 1
            candidate = f"{base}{number}"
        taken.add(candidate)
        usernames.append(candidate)
    return usernames


def _site_language(languages: Sequence[str]) -> str:
    # Their first spoken language the site is translated into, so the invitation reads naturally.
    offered = {code for code, _name in settings.LANGUAGES}
    return next((code for code in languages if code in offered), settings.LANGUAGE_CODE)


def create_people(
    *, programme: Programme, people: Sequence[Person], existing: Mapping[str, Existing]
) -> list[User]:
    """Create the new accounts and enrol everyone; returns the new accounts. Call inside a transaction."""
    newcomers = [person for person in people if person.key not in existing]
    accounts = [
        User(
            username=username,
            email=person.email,
            display_name=person.name,
            timezone=person.timezone,
            languages=list(person.languages),
            focus_areas=list(person.focus_areas),
            ui_language=_site_language(person.languages),
            password=make_password(None),
        )
        for person, username in zip(newcomers, _usernames([p.email for p in newcomers]), strict=True)
    ]
    User.objects.bulk_create(accounts, batch_size=500)
    users = {person.key: account for person, account in zip(newcomers, accounts, strict=True)}
    AvailabilityWindow.objects.bulk_create(
        [
            AvailabilityWindow(
                user=users[person.key],
                weekday=window.weekday,
                starts_at=window.starts_at,
                ends_at=window.ends_at,
            )
            for person in newcomers
            for window in person.availability
        ],
        batch_size=500,
    )
    user_ids = {
        person.key: users[person.key].pk if person.key in users else existing[person.key].user_id
        for person in people
    }
    CoachProfile.objects.bulk_create(
        [
            CoachProfile(user_id=user_ids[person.key], specialities=list(person.focus_areas))
            for person in people
            if person.role == Enrolment.Role.COACH
        ],
        batch_size=500,
        ignore_conflicts=True,  # an existing coach keeps the profile they have
    )
    returning = [existing[person.key].user_id for person in people if person.key in existing]
    for start in range(0, len(returning), QUERY_CHUNK):
        users.update(
            {
                account.email.lower(): account
                for account in User.objects.filter(pk__in=returning[start : start + QUERY_CHUNK])
            }
        )
    services.enrol_many(programme=programme, people=[(users[person.key], person.role) for person in people])
    return accounts

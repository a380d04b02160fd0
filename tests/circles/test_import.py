"""CSV import of people: upload limits, the dry run's line errors, progress, all-or-nothing commit, access."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from circles import importers, services, tasks
from circles.models import CoachProfile, Enrolment, ImportJob, Invitation, Programme
from coaching.accounts.models import AvailabilityWindow

User = get_user_model()
HEADER = "email,name,role,timezone,languages,focus_areas,availability\n"
GOOD = (
    HEADER
    + "ines@example.org,Inés Duarte,coach,America/Bogota,es; en,leadership; career,"
    + "Mon 18:00-20:00; Wed 07:00-08:30\n"
    + "kwame@example.org,Kwame Boateng,member,Africa/Accra,en,confidence,Sat 10:00-12:00\n"
    + 'yuki@example.org,Yuki Sato,member,Asia/Tokyo,"ja,en",,\n'
)


class Importer:
    """Drives the import pages as a signed-in admin; queued jobs run as soon as their request commits."""

    def __init__(self, client, programme, capture):
        self.client, self.programme, self.capture = client, programme, capture

    def upload(self, content: str | bytes, name: str = "people.csv"):
        data = content.encode() if isinstance(content, str) else content
        with self.capture(execute=True):
            return self.client.post(
                reverse("programme_import", args=[self.programme.pk]),
                {"file": SimpleUploadedFile(name, data, content_type="text/csv")},
            )

    def latest_job(self) -> ImportJob:
        return ImportJob.objects.filter(programme=self.programme).latest("created_at")

    def page(self, job: ImportJob, **headers):
        return self.client.get(reverse("import_job", args=[self.programme.pk, job.pk]), **headers)

    def commit(self, job: ImportJob, **data: str):
        with self.capture(execute=True):
            return self.client.post(reverse("import_commit", args=[self.programme.pk, job.pk]), data)


@pytest.fixture
def importer(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.admin)
    return Importer(client, world.programme, django_capture_on_commit_callbacks)


def people_named(*emails: str) -> int:
    return User.objects.filter(email__in=emails).count()


# --- A good file -----------------------------------------------------------------------------------


def test_it_previews_a_good_file_with_counts_and_an_import_button(importer, world):
    response = importer.upload(GOOD + f"{world.members[0].email},M0,member,Europe/Madrid,,,\n")
    job = importer.latest_job()
    assert response.status_code == 302
    assert response["Location"] == reverse("import_job", args=[world.programme.pk, job.pk])

    page = importer.page(job).content.decode()
    assert job.status == ImportJob.Status.READY
    assert "4 people ready to import" in page
    assert "<dt>New accounts</dt><dd>3</dd>" in page
    assert "<dt>Coaches</dt><dd>1</dd>" in page
    assert "<dt>Members</dt><dd>3</dd>" in page
    assert "Inés Duarte" in page
    assert "Import 4 people" in page
    assert people_named("ines@example.org", "kwame@example.org", "yuki@example.org") == 0


def test_it_imports_everyone_with_their_profile_and_invites_the_new_accounts(importer, world):
    existing = world.members[0]
    importer.upload(GOOD + f"{existing.email.upper()},Someone Else,member,Asia/Tokyo,,,\n")
    job = importer.latest_job()

    response = importer.commit(job)

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert job.created_count == 3
    ines = User.objects.get(email="ines@example.org")
    assert ines.username == "ines"
    assert ines.display_name == "Inés Duarte"
    assert ines.timezone == "America/Bogota"
    assert ines.languages == ["es", "en"]
    assert ines.ui_language == "es"
    assert ines.focus_areas == ["leadership", "career"]
    assert not ines.has_usable_password()
    assert [str(w) for w in AvailabilityWindow.objects.filter(user=ines)] == [
        "Monday 18:00-20:00",
        "Wednesday 07:00-08:30",
    ]
    assert CoachProfile.objects.get(user=ines).specialities == ["leadership", "career"]
    assert User.objects.get(email="yuki@example.org").languages == ["ja", "en"]
    roles = dict(Enrolment.objects.filter(programme=world.programme).values_list("user__email", "role"))
    assert roles["ines@example.org"] == "coach"
    assert roles["kwame@example.org"] == roles["yuki@example.org"] == roles[existing.email] == "member"
    existing.refresh_from_db()
    assert existing.display_name == "M0"  # an existing account keeps its own profile
    assert sorted(m.to[0] for m in mail.outbox) == [
        "ines@example.org",
        "kwame@example.org",
        "yuki@example.org",
    ]
    assert Invitation.objects.filter(programme=world.programme).count() == 3

    page = importer.page(job).content.decode()
    assert "4 people imported; invitations sent" in page
    assert reverse("programme_dashboard", args=[world.programme.pk]) in page


def test_it_reads_excel_semicolon_files_with_any_column_order_and_case(importer):
    importer.upload(
        "\ufeffName;TimeZone;EMAIL;Role;Focus Areas\n"
        "Ana Sol;europe/madrid;ana.sol@example.org;Coach;career, leadership\n"
    )
    job = importer.latest_job()
    assert job.status == ImportJob.Status.READY, job.errors
    importer.commit(job)
    ana = User.objects.get(email="ana.sol@example.org")
    assert (ana.timezone, ana.focus_areas) == ("Europe/Madrid", ["career", "leadership"])


def test_it_gives_new_accounts_unique_usernames_from_their_emails(importer, world):
    User.objects.create_user(username="maria", email="maria@old.example")
    User.objects.create_user(username="maria2", email="maria2@old.example")
    importer.upload(
        HEADER
        + "maria@a.example,María A,member,Europe/Madrid,,,\n"
        + "Maria@b.example,María B,member,Europe/Madrid,,,\n"
        + "coach@c.example,Not The Coach,member,Europe/Madrid,,,\n"
    )
    importer.commit(importer.latest_job())
    usernames = set(
        User.objects.filter(email__in=["maria@a.example", "Maria@b.example", "coach@c.example"]).values_list(
            "username", flat=True
        )
    )
    assert usernames == {"maria3", "maria4", "coach3"}  # the world already has "coach" and "coach2"


def test_it_keeps_html_in_cells_as_plain_text(importer):
    importer.upload(HEADER + 'x@example.org,"<script>alert(1)</script>",member,UTC,,<b>bold</b>,\n')
    job = importer.latest_job()
    page = importer.page(job).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    importer.commit(job)
    person = User.objects.get(email="x@example.org")
    assert (person.display_name, person.focus_areas) == ("<script>alert(1)</script>", ["<b>bold</b>"])

    importer.upload(HEADER + 'y@example.org,Y,member,"<img src=x onerror=alert(1)>",,,\n')
    page = importer.page(importer.latest_job()).content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


# --- The dry run's line errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "line", "message"),
    [
        (
            "a@example.org,A,member,Mars/Olympus_Mons,,,\n",
            2,
            "“Mars/Olympus_Mons” is not a time zone we know. "
            "Use a name like Europe/Madrid or America/Bogota.",
        ),
        (
            "a@example.org,A,member,UTC,,,\nb@example.org,B,coach,UTC,,,\nA@Example.org,C,member,UTC,,,\n",
            4,
            "Same email as line 2.",
        ),
        (
            "a@example.org,A,member,UTC,es; xx; qq,,\n",
            2,
            "Unknown language code: xx, qq. Use two-letter codes such as es, en or sw.",
        ),
        (
            "a@example.org,A,member,UTC,,,Mon 18-20\n",
            2,
            "Availability “Mon 18-20” is not like “Mon 18:00-20:00; Wed 07:00-08:30”.",
        ),
        (
            "a@example.org,A,member,UTC,,,Funday 10:00-11:00\n",
            2,
            "Availability “Funday 10:00-11:00” is not like “Mon 18:00-20:00; Wed 07:00-08:30”.",
        ),
        (
            "a@example.org,A,member,UTC,,,Tue 20:00-18:00\n",
            2,
            "A window must end after it starts.",  # the profile's own sentence
        ),
        ("a@example.org,A,boss,UTC,,,\n", 2, "Role must be “member” or “coach”, not “boss”."),
        ("not-an-email,A,member,UTC,,,\n", 2, "“not-an-email” is not a valid email address."),
        (",A,member,UTC,,,\n", 2, "Email is missing."),
        ("a@example.org,,member,UTC,,,\n", 2, "Enter a name: it cannot be empty or only spaces."),
        (
            "a@example.org," + "N" * 121 + ",member,UTC,,,\n",
            2,
            "The name is too long (121 characters; at most 120).",
        ),
        (
            "a@example.org,A,member,UTC,,,,extra\n",
            2,
            "This line has 8 values but the header has 7 columns. "
            "Put quotes around values that contain commas.",
        ),
        (
            'a@example.org,"A\nwith a line break",member,UTC,,,\nb@example.org,B,member,Nowhere,,,\n',
            4,
            "“Nowhere” is not a time zone we know. Use a name like Europe/Madrid or America/Bogota.",
        ),
        ("", 1, "The file has a header but no people below it."),
        ("a@example.org,Ana\x1b[31m,member,UTC,,,\n", 2, "This text cannot contain control characters."),
        ('a@example.org,"Ana\nLópez",member,UTC,,,\n', 2, "This text must be one line."),
        ("a@example.org,A,member,UTC,,care\x07er,\n", 2, "This text cannot contain control characters."),
    ],
    ids=[
        "unknown-time-zone",
        "duplicate-email",
        "unknown-language",
        "bad-availability",
        "bad-weekday",
        "window-ends-before-start",
        "bad-role",
        "invalid-email",
        "missing-email",
        "missing-name",
        "name-too-long",
        "too-many-values",
        "line-numbers-count-physical-lines",
        "header-only",
        "control-character-in-name",
        "line-break-in-name",
        "control-character-in-focus-area",
    ],
)
def test_it_reports_each_bad_row_with_its_line_number(importer, rows, line, message):
    importer.upload(HEADER + rows)
    job = importer.latest_job()
    assert job.status == ImportJob.Status.INVALID
    assert {"line": line, "message": message} in as_uploaded(job)

    page = importer.page(job).content.decode()
    assert "Nothing was imported. Fix the file and upload it again." in page
    assert f"<tr><td>{line}</td>" in page


def as_uploaded(job: ImportJob) -> list[dict[str, object]]:
    """The stored errors as the uploader reads them (each also keeps its wording in the other languages)."""
    return [{"line": error["line"], "message": error["message"]} for error in job.errors]


def test_it_names_a_missing_column_once(importer):
    importer.upload("email,name,role,languages\na@example.org,A,member,es\n")
    job = importer.latest_job()
    assert job.status == ImportJob.Status.INVALID
    assert as_uploaded(job) == [{"line": 1, "message": "Missing column: timezone"}]


def test_it_refuses_someone_already_enrolled_in_another_role(importer, world):
    importer.upload(HEADER + f"{world.coach.email},Coach,member,UTC,,,\n")
    job = importer.latest_job()
    assert as_uploaded(job) == [
        {"line": 2, "message": "This person already takes part in the programme as coach."}
    ]


def test_it_counts_every_error_but_stores_the_first_500(importer):
    importer.upload(HEADER + "".join(f"p{i}@example.org,P{i},member,Nowhere,,,\n" for i in range(700)))
    job = importer.latest_job()
    assert job.error_count == 700
    assert len(job.errors) == 500
    assert "Showing the first 500 of 700 problems." in importer.page(job).content.decode()


def test_it_writes_errors_in_the_uploaders_language(importer, world):
    world.admin.ui_language = "es"
    world.admin.save()
    importer.upload(HEADER + "a@example.org,A,member,Marte/Olimpo,,,\n")
    message = importer.latest_job().errors[0]["message"]
    assert message.startswith("«Marte/Olimpo» no es una zona horaria que conozcamos")


def test_another_admin_reads_the_errors_in_their_own_language(importer, world):
    """A Spanish-speaking admin checked the file; an English-speaking one opens the job afterwards."""
    world.admin.ui_language = "es"
    world.admin.save()
    importer.upload(HEADER + "a@example.org,A,member,Marte/Olimpo,,,\n")
    job = importer.latest_job()
    assert importer.page(job).content.decode().count("no es una zona horaria que conozcamos") == 1
    world.admin.ui_language = "en"
    world.admin.save()
    page = importer.page(job).content.decode()
    assert "is not a time zone we know" in page
    assert "no es una zona horaria" not in page


def test_it_creates_nothing_from_a_file_with_errors(importer, world):
    users_before, enrolments_before = User.objects.count(), Enrolment.objects.count()
    importer.upload(GOOD + "bad@example.org,Bad,member,Nowhere,,,\n")
    job = importer.latest_job()

    response = importer.commit(job)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.INVALID
    page = importer.client.get(response["Location"]).content.decode()
    assert "Only a file that was checked without errors can be imported." in page
    assert (User.objects.count(), Enrolment.objects.count()) == (users_before, enrolments_before)
    assert mail.outbox == []


# --- Upload limits ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            (HEADER + "a@example.org,A,member,UTC,,,\nb@example.org,Jos\xe9,member,UTC,,,\n").encode(
                "latin-1"
            ),
            "The file is not UTF-8 text (line 3 has a byte we cannot read). "
            "In Excel choose “CSV UTF-8” when saving, then upload again.",
        ),
        (b"", "The file is empty."),
        (b"  \r\n\n", "The file is empty."),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "This is not a CSV text file (it contains binary data)."),
        (HEADER.encode("utf-16"), "The file is saved as UTF-16."),
        (b"a" * (10 * 1024 * 1024 + 1), "The file is larger than 10 MB."),
    ],
    ids=["not-utf8", "empty", "blank", "nul-bytes", "utf16", "oversized"],
)
def test_it_refuses_an_unreadable_upload_with_a_clear_message(importer, content, message):
    response = importer.upload(content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


# --- Progress -----------------------------------------------------------------------------------------


def test_it_shows_progress_that_polls_every_second_until_the_check_ends(importer, world):
    job = ImportJob.objects.create(
        programme=world.programme,
        uploaded_by=world.admin,
        filename="big.csv",
        content=GOOD,
        status=ImportJob.Status.CHECKING,
        total_rows=20000,
        processed_rows=1500,
    )
    page = importer.page(job).content.decode()
    assert '<progress class="import-progress" value="1500" max="20000"' in page
    assert "1,500 of 20,000 rows checked" in page
    assert 'hx-trigger="every 1s"' in page
    assert "/static/django_htmx/htmx" in page

    partial = importer.page(job, HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<section id="import-status"')
    assert "<html" not in partial

    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.PENDING, processed_rows=0, total_rows=0
    )
    with importer.capture(execute=True):
        tasks.check_import(job.pk)
    finished = importer.page(job, HTTP_HX_REQUEST="true").content.decode()
    assert "3 people ready to import" in finished
    assert "hx-trigger" not in finished


def test_it_keeps_polling_while_importing_with_a_bar_that_shows_activity(importer, world):
    job = ImportJob.objects.create(
        programme=world.programme,
        uploaded_by=world.admin,
        filename="big.csv",
        content=GOOD,
        status=ImportJob.Status.IMPORTING,
        total_rows=20000,
        processed_rows=20000,
    )
    page = importer.page(job, HTTP_HX_REQUEST="true").content.decode()
    assert '<progress class="import-progress" aria-label="Import progress"></progress>' in page
    assert "Importing 20,000 people…" in page
    assert 'hx-trigger="every 1s"' in page


def test_it_reports_progress_in_batches_of_500_rows(world) -> None:
    text = HEADER + "".join(f"p{i}@example.org,P{i},member,UTC,,,\n" for i in range(1200))
    seen: list[tuple[int, int]] = []
    importers.check(
        text, programme=world.programme, on_progress=lambda done, total: seen.append((done, total))
    )
    assert seen == [(0, 1200), (500, 1200), (1000, 1200), (1200, 1200)]


# --- Commit: all or nothing, once ---------------------------------------------------------------------


def test_it_imports_nobody_when_a_row_fails_midway(importer, world, monkeypatch):
    importer.upload(GOOD)
    job = importer.latest_job()
    real_enrol_many, calls = services.enrol_many, []

    def enrol_two_then_fail(*, programme, people):
        calls.append(people)
        real_enrol_many(programme=programme, people=people[:2])  # part of the rows are written…
        raise RuntimeError("database went away")  # …then the database fails

    monkeypatch.setattr(services, "enrol_many", enrol_two_then_fail)
    importer.commit(job)

    job.refresh_from_db()
    assert len(calls) == 1
    assert len(calls[0]) == 3
    assert job.status == ImportJob.Status.FAILED
    assert people_named("ines@example.org", "kwame@example.org", "yuki@example.org") == 0
    assert not AvailabilityWindow.objects.filter(user__email="ines@example.org").exists()
    assert not Invitation.objects.exists()
    assert mail.outbox == []
    assert "nothing was imported" in importer.page(job).content.decode()


def test_it_checks_again_before_committing_and_stops_if_a_row_became_invalid(importer, world):
    importer.upload(GOOD)
    job = importer.latest_job()
    someone = User.objects.create_user(username="kb", email="kwame@example.org")
    services.enrol(programme=world.programme, user=someone, role="coach")

    importer.commit(job)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.INVALID
    assert as_uploaded(job) == [
        {"line": 3, "message": "This person already takes part in the programme as coach."}
    ]
    assert people_named("ines@example.org", "yuki@example.org") == 0


def test_it_imports_once_when_import_is_posted_twice(importer, world):
    importer.upload(GOOD)
    job = importer.latest_job()

    importer.commit(job)
    second = importer.commit(job)

    assert second.status_code == 302
    assert User.objects.filter(email="ines@example.org").count() == 1
    assert len(mail.outbox) == 3
    page = importer.client.get(second["Location"]).content.decode()
    assert "This import has already started, so nothing more was done." in page


def test_it_queues_the_commit_only_for_the_first_of_two_racing_clicks(world):
    job = ImportJob.objects.create(
        programme=world.programme,
        uploaded_by=world.admin,
        filename="x.csv",
        content=GOOD,
        status=ImportJob.Status.READY,
    )
    assert tasks.start_commit(job=job, base_url="http://testserver/") is True
    assert tasks.start_commit(job=job, base_url="http://testserver/") is False


def test_it_checks_and_commits_20000_rows_in_well_under_a_minute(importer, world, capsys):
    zones = ["Europe/Madrid", "America/Bogota", "Africa/Nairobi", "Asia/Tokyo"]
    text = HEADER + "".join(
        f"person{i}@example.org,Person {i},{'coach' if i % 100 == 0 else 'member'},{zones[i % 4]},es; en,"
        f"career,Mon 18:00-20:00; Thu 07:00-08:00\n"
        for i in range(20000)
    )
    users_before = User.objects.count()

    started = time.perf_counter()
    importer.upload(text)
    checked = time.perf_counter()
    job = importer.latest_job()
    assert job.status == ImportJob.Status.READY, job.errors[:3]
    assert "20,000 people ready to import" in importer.page(job).content.decode()
    previewed = time.perf_counter()
    importer.commit(job, count="20,000")
    committed = time.perf_counter()

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.total_rows, job.created_count) == (20000, 20000)
    assert User.objects.count() == users_before + 20000
    assert (
        Enrolment.objects.filter(
            programme=world.programme, role="coach", user__email__startswith="person"
        ).count()
        == 200
    )
    assert AvailabilityWindow.objects.filter(user__email__startswith="person").count() == 40000
    assert len(mail.outbox) == 20000
    with capsys.disabled():
        print(
            f"\n20k rows: check {checked - started:.1f}s, preview page {previewed - checked:.1f}s, "
            f"commit with invitations {committed - previewed:.1f}s"
        )
    assert committed - started < 60


# --- A second look at a large file ----------------------------------------------------------------


def many(count: int) -> str:
    return HEADER + "".join(f"p{i}@example.org,Person {i},member,Europe/Madrid,,,\n" for i in range(count))


@pytest.mark.parametrize(
    ("enrolled", "rows", "asked"),
    [
        (24, 65815, True),  # the file that more than doubles a programme
        (24, 25, False),  # a small file never asks
        (0, 25, False),
        (0, 26, True),  # a first import of a cohort
        (24, 30, True),
        (40, 30, False),
        (2000, 501, True),  # a big file asks even for a big programme
        (2000, 500, False),
    ],
)
def test_it_asks_to_type_the_number_when_a_file_is_large_for_the_programme(enrolled, rows, asked):
    assert importers.needs_confirmation(enrolled=enrolled, rows=rows) is asked


def test_it_shows_who_is_there_now_who_joins_and_a_sample_from_the_whole_file(importer, world):
    importer.upload(many(40) + f"{world.members[0].email},M0,member,Europe/Madrid,,,\n")
    page = importer.page(importer.latest_job()).content.decode()
    assert '<dd id="import-enrolled">7</dd>' in page
    assert '<dd id="import-joining">40</dd>' in page  # M0 is enrolled already
    assert "A sample of 10 of the 41 people in the file, from its first line to its last" in page
    assert "Person 0" in page
    assert "M0" in page  # the last line of the file is in the sample
    assert "To import them, type the number of people: 41" in page


def test_a_large_import_runs_only_once_its_number_is_typed(importer, world):
    importer.upload(many(30))
    job = importer.latest_job()
    for typed in ({}, {"count": "3"}, {"count": "300"}):
        response = importer.commit(job, **typed)
        assert response.status_code == 400
        assert people_named("p0@example.org") == 0
        page = response.content.decode()
        assert 'class="field has-error"' in page
        assert "Import 30 people" in page  # the same page, with its sample and counts
    assert "Type 30, the number of people in the file, to start the import." in page
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY
    response = importer.commit(job, count=" 30 ")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert people_named(*(f"p{i}@example.org" for i in range(30))) == 30


def test_a_small_import_needs_no_typed_number(importer, world):
    importer.upload(GOOD)
    job = importer.latest_job()
    assert "type the number of people" not in importer.page(job).content.decode()
    assert importer.commit(job).status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE


# --- Access -------------------------------------------------------------------------------------------


@pytest.fixture(params=["other_admin", "coach", "member", "anonymous"])
def stranger(request, client, world):
    user = {"other_admin": world.other_admin, "coach": world.coach, "member": world.members[0]}.get(
        request.param
    )
    if user is not None:
        client.force_login(user)
    return client


def test_it_hides_the_import_pages_from_everyone_but_the_programmes_admins(stranger, world):
    job = ImportJob.objects.create(
        programme=world.programme,
        uploaded_by=world.admin,
        filename="x.csv",
        content=GOOD,
        status=ImportJob.Status.READY,
        total_rows=3,
    )
    responses = [
        stranger.get(reverse("programme_import", args=[world.programme.pk])),
        stranger.post(
            reverse("programme_import", args=[world.programme.pk]),
            {"file": SimpleUploadedFile("p.csv", GOOD.encode())},
        ),
        stranger.get(reverse("import_job", args=[world.programme.pk, job.pk])),
        stranger.post(reverse("import_commit", args=[world.programme.pk, job.pk])),
    ]
    for response in responses:
        assert response.status_code == 404 or (
            response.status_code == 302 and response["Location"].startswith(reverse("login"))
        )
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY
    assert ImportJob.objects.count() == 1
    assert not User.objects.filter(email="ines@example.org").exists()


def test_it_refuses_a_job_of_another_programme_even_to_an_admin(importer, world):
    job = ImportJob.objects.create(
        programme=world.other_programme,
        uploaded_by=world.other_admin,
        filename="x.csv",
        content=GOOD,
        status=ImportJob.Status.READY,
    )
    assert importer.client.get(reverse("import_job", args=[world.programme.pk, job.pk])).status_code == 404
    assert (
        importer.client.post(reverse("import_commit", args=[world.programme.pk, job.pk])).status_code == 404
    )


def test_it_lets_a_superuser_import_into_any_programme(db, client, django_capture_on_commit_callbacks):
    root = User.objects.create_superuser(username="root", email="root@example.org", password="pw")
    programme = Programme.objects.create(name="Solo")
    client.force_login(root)
    Importer(client, programme, django_capture_on_commit_callbacks).upload(GOOD)
    assert ImportJob.objects.get(programme=programme).status == ImportJob.Status.READY


def test_it_counts_lines_the_same_with_windows_line_endings_and_a_bom() -> None:
    table = importers.read_table(
        "\ufeff" + HEADER.replace("\n", "\r\n") + "\r\na@example.org,A,member,UTC,,,\r\n"
    )
    assert [line for line, _cells in table.rows] == [3]
    assert table.rows[0][1]["email"] == "a@example.org"

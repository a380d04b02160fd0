"""An admin imports people in a real browser: a bad file is refused line by line, then a good one imports."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.pages import sign_in

pytestmark = [pytest.mark.browser]
SHOTS = Path(__file__).resolve().parents[2] / "test-results"
HEADER = "email,name,role,timezone,languages,focus_areas,availability\n"


def upload(page, path: Path) -> None:
    page.set_input_files("input[type=file][name=file]", str(path))
    page.click("text=Upload and check")


def test_an_admin_sees_line_errors_then_imports_a_good_file(chromium, daphne_server, demo, tmp_path):
    from django.contrib.auth import get_user_model

    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER
        + "zoe@example.org,Zoe Park,member,Europe/Atlantis,en,,\n"
        + "zoe@example.org,Zoe Again,member,Europe/London,en,,\n"
        + "omar@example.org,Omar Farouk,member,Africa/Cairo,en; zz,,Mon 9-10\n",
        encoding="utf-8",
    )
    good = tmp_path / "good.csv"
    good.write_text(
        HEADER
        + "zoe@example.org,Zoe Park,member,Europe/London,en,career,Tue 18:00-19:30\n"
        + "omar@example.org,Omar Farouk,member,Africa/Cairo,ar; en,leadership,Mon 09:00-10:00\n"
        + "rosa@example.org,Rosa Quispe,coach,America/Lima,es; en,wellbeing,Thu 17:00-19:00\n",
        encoding="utf-8",
    )
    programme_id = demo["programme"]["id"]
    context = chromium.new_context(locale="en-GB", viewport={"width": 1024, "height": 900})
    page = context.new_page()
    sign_in(page, daphne_server, "ana.admin", demo["password"])
    SHOTS.mkdir(exist_ok=True)

    page.goto(f"{daphne_server}/programmes/{programme_id}/import/")
    assert "Import people into Leading Across Borders 2026" in page.inner_text("h1")
    page.screenshot(path=str(SHOTS / "import-upload.png"), full_page=True)
    upload(page, bad)
    page.wait_for_selector(".import-invalid")
    assert "The file has 4 problems" in page.inner_text(".import-invalid")
    rows = [row.split("\t") for row in page.locator(".import-errors tbody tr").all_inner_texts()]
    assert [line for line, _message in rows] == ["2", "3", "4", "4"]
    assert "“Europe/Atlantis” is not a time zone we know" in rows[0][1]
    assert rows[1][1] == "Same email as line 2."
    assert "Unknown language code: zz" in rows[2][1]
    assert "Availability “Mon 9-10” is not like" in rows[3][1]
    page.screenshot(path=str(SHOTS / "import-errors.png"), full_page=True)

    page.click("text=Upload a corrected file")
    upload(page, good)
    page.wait_for_selector(".import-ready")
    assert "3 people ready to import" in page.inner_text(".import-summary")
    counts = [dd.strip() for dd in page.locator(".import-counts dd").all_inner_texts()]
    assert counts == ["25", "3", "3", "1", "2"]  # in the programme, joining, new accounts, coaches, members
    assert "Rosa Quispe" in page.inner_text(".import-preview")
    page.screenshot(path=str(SHOTS / "import-preview.png"), full_page=True)

    page.click("text=Import 3 people")
    page.wait_for_selector(".import-done")
    assert "3 people imported; invitations sent" in page.inner_text(".import-done")
    page.screenshot(path=str(SHOTS / "import-done.png"), full_page=True)
    page.click("text=Back to the programme")
    page.wait_for_url(f"{daphne_server}/programmes/{programme_id}/")
    context.close()

    imported = get_user_model().objects.filter(
        email__in=["zoe@example.org", "omar@example.org", "rosa@example.org"]
    )
    assert sorted(imported.values_list("display_name", flat=True)) == [
        "Omar Farouk",
        "Rosa Quispe",
        "Zoe Park",
    ]


def test_the_job_page_follows_a_running_check_by_itself(chromium, daphne_server, demo):
    from circles import tasks
    from circles.models import ImportJob, Programme
    from coaching.accounts.models import User

    admin = User.objects.get(username="ana.admin")
    job = ImportJob.objects.create(
        programme=Programme.objects.get(pk=demo["programme"]["id"]),
        uploaded_by=admin,
        filename="people.csv",
        content=HEADER + "li@example.org,Li Wei,member,Asia/Shanghai,en,,\n",
    )
    context = chromium.new_context(locale="en-GB", viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, daphne_server, "ana.admin", demo["password"])
    page.goto(f"{daphne_server}/programmes/{job.programme_id}/imports/{job.pk}/")
    assert "Waiting for the check to start" in page.inner_text("#import-status")

    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.CHECKING, total_rows=20000, processed_rows=1500
    )
    page.wait_for_selector("text=1,500 of 20,000 rows checked", timeout=5000)
    assert page.get_attribute("progress.import-progress", "value") == "1500"
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "import-progress.png"), full_page=True)

    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.PENDING)
    tasks.check_import(job.pk)
    page.wait_for_selector(".import-ready", timeout=5000)
    assert "1 person ready to import" in page.inner_text(".import-summary")
    assert page.get_attribute("#import-status", "hx-trigger") is None
    context.close()


def test_a_large_file_imports_only_once_the_admin_types_its_number(chromium, daphne_server, demo, tmp_path):
    from django.contrib.auth import get_user_model

    large = tmp_path / "large.csv"
    large.write_text(
        HEADER + "".join(f"p{i}@example.org,Person {i},member,Europe/Madrid,en,,\n" for i in range(60)),
        encoding="utf-8",
    )
    context = chromium.new_context(locale="en-GB", viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, daphne_server, "ana.admin", demo["password"])
    page.goto(f"{daphne_server}/programmes/{demo['programme']['id']}/import/")
    upload(page, large)
    page.wait_for_selector(".import-ready")
    assert "This file holds 60 people, for a programme of 25 today." in page.inner_text("#import-large")
    assert page.locator(".import-preview tbody tr").count() == 10
    assert "Person 59" in page.inner_text(".import-preview")  # the sample reaches the end of the file

    page.click("text=Import 60 people")  # without typing the number: the browser asks for it
    page.wait_for_function("() => document.activeElement && document.activeElement.name === 'count'")
    page.fill("input[name=count]", "6")  # a wrong number: the server refuses, the field in error focused
    page.click("text=Import 60 people")
    page.wait_for_selector(".import-commit .has-error")
    assert "Type 60, the number of people in the file" in page.inner_text(".import-commit .has-error")
    page.wait_for_function("() => document.activeElement && document.activeElement.name === 'count'")
    people = get_user_model().objects.filter(email__in=[f"p{i}@example.org" for i in range(60)])
    assert people.count() == 0

    page.fill("input[name=count]", "60")
    page.click("text=Import 60 people")
    page.wait_for_selector(".import-done")
    assert people.count() == 60
    context.close()

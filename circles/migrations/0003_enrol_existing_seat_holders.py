"""Enrol everyone who already holds a seat in the programme of that circle, with the seat's role."""

from django.db import migrations


def enrol_seat_holders(apps, schema_editor):
    Membership = apps.get_model("circles", "Membership")
    Enrolment = apps.get_model("circles", "Enrolment")
    for seat in Membership.objects.select_related("circle").order_by("id"):
        Enrolment.objects.get_or_create(
            programme_id=seat.circle.programme_id, user_id=seat.user_id, defaults={"role": seat.role}
        )


class Migration(migrations.Migration):
    dependencies = [("circles", "0002_assignmentaudit_coachprofile_enrolment_and_more")]
    operations = [migrations.RunPython(enrol_seat_holders, migrations.RunPython.noop)]

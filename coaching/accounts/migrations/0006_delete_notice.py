from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_notices_to_notifications"),
    ]

    operations = [
        migrations.DeleteModel(name="Notice"),
    ]

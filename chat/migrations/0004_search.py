"""Search across conversations: each message's language, and on PostgreSQL a stored, GIN-indexed tsvector.

`language` is the author's site language when the message was sent; it picks the stemmer. On PostgreSQL
`search_document` is a generated column (PostgreSQL keeps it true on every insert, edit and erasure), built
with the text search configurations `circles_en`, `circles_es` and `circles_simple` (every other
language): English and Spanish stemming, plus `unaccent` when the extension can be created (it is trusted
since PostgreSQL 13, so the database owner may create it), so "reunion" finds "reunión". Without it the
configurations are the plain ones and accents must match; docs/operations.md says how to add it later.
The column is not a model field: Django never loads it with a message.
"""

from __future__ import annotations

from django.db import migrations, models, transaction

CONFIGS = {"circles_en": "english", "circles_es": "spanish", "circles_simple": "simple"}
STEMMERS = {"circles_en": "english_stem", "circles_es": "spanish_stem", "circles_simple": "simple"}
# The same mapping as chat.search.CONFIG_SQL (frozen here, as a migration must be).
CONFIG_OF_ROW = (
    "CASE language WHEN 'en' THEN 'circles_en'::regconfig WHEN 'es' THEN 'circles_es'::regconfig "
    "ELSE 'circles_simple'::regconfig END"
)


def backfill_language(apps, schema_editor):
    """Messages sent before this migration speak their author's current site language."""
    schema_editor.execute(
        "UPDATE chat_message SET language = u.ui_language FROM accounts_user AS u WHERE u.id = chat_message.author_id"
    )


def _has_unaccent(schema_editor) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'")
        if cursor.fetchone() is None:
            return False
        try:
            with transaction.atomic(using=schema_editor.connection.alias):  # a savepoint: a refusal is not fatal
                cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        except Exception:  # noqa: BLE001 - not allowed to create it here: search works without, accents must match
            return False
    return True


def add_document(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite searches with icontains (chat.search)
    unaccent = _has_unaccent(schema_editor)
    for name, parent in CONFIGS.items():
        schema_editor.execute(f"CREATE TEXT SEARCH CONFIGURATION {name} (COPY = pg_catalog.{parent})")
        if unaccent:
            schema_editor.execute(
                f"ALTER TEXT SEARCH CONFIGURATION {name} ALTER MAPPING FOR hword, hword_part, word "
                f"WITH unaccent, {STEMMERS[name]}"
            )
    schema_editor.execute(
        "ALTER TABLE chat_message ADD COLUMN search_document tsvector "
        f"GENERATED ALWAYS AS (to_tsvector({CONFIG_OF_ROW}, body)) STORED"
    )
    schema_editor.execute("CREATE INDEX chat_message_search_gin ON chat_message USING gin (search_document)")


def drop_document(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE chat_message DROP COLUMN IF EXISTS search_document")
    for name in CONFIGS:
        schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0003_attachment"),
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="language",
            field=models.CharField(blank=True, db_default="", default="", max_length=8),
        ),
        migrations.RunPython(backfill_language, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(add_document, drop_document),
    ]

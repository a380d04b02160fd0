"""Django's own form messages our pages can show, named so makemessages keeps our "tú" Spanish of them.

Django's Spanish catalogue says "usted" ("Asegúrese…", "Escoja…"). Our catalogue (LOCALE_PATHS) is read
before Django's, so a msgid translated there wins; makemessages would drop as obsolete any msgid the code
does not name, so they are named here, exactly as Django spells them. Nothing imports this module.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop, ngettext_lazy

MESSAGES = [
    # A number outside a field's range (seats, a meeting's or session's length, weeks, a check-in score).
    gettext_noop("Ensure this value is less than or equal to %(limit_value)s."),
    gettext_noop("Ensure this value is greater than or equal to %(limit_value)s."),
    # A choice no longer offered: a person placed, a circle closed, a coach gone since the page was loaded.
    gettext_noop("Select a valid choice. That choice is not one of the available choices."),
    gettext_noop("Select a valid choice. %(value)s is not one of the available choices."),
    # What a browser without date and time pickers lets a person type.
    gettext_noop("Enter a whole number."),
    gettext_noop("Enter a valid date."),
    gettext_noop("Enter a valid time."),
]

PLURAL_MESSAGES = [
    # Text longer than a field allows (the browser stops typing at maxlength; a paste or script may not).
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
]

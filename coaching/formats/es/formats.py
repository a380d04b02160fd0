"""Spanish: "6 de diciembre de 2026 a las 11:13" and "6 dic 2026, 11:13", the same shapes as English."""

DATE_FORMAT = r"j \d\e F \d\e Y"
SHORT_DATE_FORMAT = "j b Y"
DATETIME_FORMAT = r"j \d\e F \d\e Y \a \l\a\s H:i"
SHORT_DATETIME_FORMAT = "j b Y, H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = r"j \d\e F"
YEAR_MONTH_FORMAT = r"F \d\e Y"
FIRST_DAY_OF_WEEK = 1

# Chart axes (coaching/progress/pages.py): lower-case months as Spanish writes them, like the weekdays.
CHART_WEEK_FORMAT = "j b"  # 12 oct
CHART_DAY_FORMAT = "D j b"  # mar 1 dic

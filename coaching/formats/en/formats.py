"""English: "6 December 2026, 11:13" and "6 Dec 2026, 11:13", never "12/06/2026 11:13 a.m."."""

DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
FIRST_DAY_OF_WEEK = 1  # Monday, as the programme's weeks are counted

# Chart axes (coaching/progress/pages.py): a week by its Monday, a session by its day.
CHART_WEEK_FORMAT = "j M"  # 12 Oct
CHART_DAY_FORMAT = "D j M"  # Tue 1 Dec

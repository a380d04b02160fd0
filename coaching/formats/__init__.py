"""Date formats that read the same on every continent: day before month, month as a word, a 24-hour clock.

Django's English defaults print 12/06/2026 (the 12th of June to most readers) and "11:13 a.m.";
these override them for both languages (FORMAT_MODULE_PATH).
"""

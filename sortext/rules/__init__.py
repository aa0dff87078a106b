"""What needs attention: pure functions of (record, config, today).

``findings`` holds the rules (overdue next action, missed sessions, overdue
invoices, reviews and renewals due, retention, blockers, stale stage, goals
stuck or progressing, prepaid packages running out) and the assessment of one
record; ``agenda`` (a day or week of timed sessions, due and overdue
actions); ``money`` (outstanding by age, invoiced and paid per currency, top
clients); ``wording`` (how reasons spell amounts, day counts and
measurements).  Facts derived elsewhere (time in stage, from git) come in as
arguments.

May import: :mod:`sortext.record`, :mod:`sortext.schema`, :mod:`sortext.check`.
"""

"""What needs attention: pure functions of (record, config, today).

``findings`` holds the rules (overdue next action, missed sessions, overdue
invoices, reviews and renewals due, retention, blockers, stale stage, goals
stuck or progressing) and the assessment of one record; ``wording`` (how
reasons spell amounts, day counts and measurements).

May import: :mod:`sortext.record`, :mod:`sortext.schema`, :mod:`sortext.check`.
"""

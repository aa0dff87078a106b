"""What the pages and the terminal show, assembled from the index and the rules.

``dashboard`` (the view models of the dashboard, NEXT.md and a client page),
``queries`` (the questions terminal commands ask), ``weekly`` (the "since last
week" section from git), ``format`` (how money, days, numbers and weekdays
read on a page and in the terminal).

May import: everything below it (:mod:`sortext.errors` to :mod:`sortext.vcs`).
"""

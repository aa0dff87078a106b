"""What the pages and the terminal show, assembled from the index and the rules.

``dashboard`` (the view models of the dashboard, NEXT.md and a client page),
``queries`` (the questions terminal commands ask), ``weekly`` (the "since last
week" section: its types, lines and assembling; git's side is
:mod:`sortext.vcs.window`, storage :mod:`sortext.store.weekly`), ``format``
(how money, days, numbers and weekdays read on a page and in the terminal),
``stagetime`` (time in stage: git's stage facts matched to the records),
``day`` (agenda, money, the dashboard's week strip and per-owner pages, the
inbox count), ``filters`` (``list --where`` conditions and ``--sort`` keys),
``recall`` (a query's reply remembered and replayed while nothing it depends
on changed: the quick path, which imports almost nothing), ``historytext``
(the text ``sortext history`` prints), ``quickhistory`` (``sortext history ID``
answered before Click is imported).

May import: everything below it (:mod:`sortext.errors` to :mod:`sortext.vcs`).
"""

"""The generated pages: NEXT.md, ``site/index.html`` and one page per client.

``build`` (refresh the index, assess what changed, write the pages),
``render`` (Jinja2 templates, shipped and overridable, and notes Markdown).

May import: everything below it (:mod:`sortext.errors` to :mod:`sortext.views`).
"""

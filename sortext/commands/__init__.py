"""One module per CLI command; each defines ``command`` (a click.Command).

A command parses its arguments, calls one core function and formats the
result or the error; it holds no logic of its own.

May import: any folder of the package (it is the top layer, below ``cli``).
"""

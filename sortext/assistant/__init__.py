"""Assistants as safe users: an MCP server over the records.

``guard`` (arguments checked like CLI arguments: ids are slugs, paths stay in
the clients folder, dates are ISO dates), ``writes`` (preview -> token ->
apply: a change is computed and validated first, applied only with its token,
only onto the bytes it was previewed on, and committed as one commit by the
assistant's author), ``server`` (the MCP tools and resources on the official
``mcp`` SDK's ``MCPServer``; the only module importing ``mcp``).

May import: everything below it (:mod:`sortext.errors` to :mod:`sortext.doctor`),
except :mod:`sortext.api` (the public API is for scripts; this reuses what the
commands call).
"""

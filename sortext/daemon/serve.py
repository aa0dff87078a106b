"""``sortext serve``: the pages on a local web server that reloads them when they change.

Starlette (routing, static files) served by uvicorn, with Server-Sent Events from
sse-starlette; all three come with the ``mcp`` dependency.  The server:

* serves ``site/`` (the built dashboard and client pages), adding to each HTML page
  a search box and owner filter (answered by ``/api/clients`` from the index) and a
  small script that reloads the page when the pages change;
* watches ``clients/`` (watchdog) and rebuilds the pages after a save when no
  ``sortext watch`` runs (when one runs, it rebuilds and the server only follows);
* watches ``site/``: every settled change bumps a counter that ``/events`` streams,
  so an open page reloads itself (the page knows the counter it was served at, so a
  change between serving and connecting is not missed).

Binding is the caller's choice; :func:`check_host` refuses addresses other than the
loopback ones unless remote access is asked for explicitly.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import logging
import re
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sortext.errors import UsageError
from sortext.files.state import StateDir
from sortext.pages.build import SITE_DIR  # where the pages are written, one name
from sortext.repo import Repository

log = logging.getLogger("sortext.serve")

SETTLE_SECONDS = 0.15  # site/ changes closer than this are one reload
REBUILD_DEBOUNCE = 0.1  # record saves closer than this are one rebuild
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
_BODY = re.compile(rb"<body[^>]*>", re.IGNORECASE)


def check_host(host: str, allow_remote: bool) -> None:
    """Refuse a non-loopback ``host`` unless ``allow_remote``: the pages hold client
    data and the server has no login.  Raises UsageError."""
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback and not allow_remote:
        raise UsageError(
            f"--host {host}: the pages hold client data and the server has no login; "
            "it listens on 127.0.0.1 only unless you add --allow-remote"
        )


class PageEvents:
    """The pages' change counter and the async waiters to wake when it moves.

    ``changed()`` may be called from any thread (watchdog's); it settles bursts for
    ``SETTLE_SECONDS`` and then bumps ``version`` once."""

    def __init__(self) -> None:
        self.version = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        self._timer: asyncio.TimerHandle | None = None

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._event = asyncio.Event()

    def changed(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._settle)

    def _settle(self) -> None:
        assert self._loop is not None
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._loop.call_later(SETTLE_SECONDS, self._bump)

    def _bump(self) -> None:
        self.version += 1
        if self._event is not None:
            self._event.set()
            self._event = asyncio.Event()

    async def wait(self, seen: int) -> int:
        """The version, once it differs from ``seen``."""
        while self.version == seen:
            assert self._event is not None
            await self._event.wait()
        return self.version


class Rebuilder:
    """Rebuild the pages after record saves, on one background thread, unless a
    ``sortext watch`` holds the repository (it rebuilds them itself)."""

    def __init__(self, repo: Repository, today: Callable[[], dt.date]) -> None:
        self.repo = repo
        self.today = today
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sortext-serve-build", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._dirty.set()
        self._thread.join(timeout=30)

    def request(self) -> None:
        self._dirty.set()

    def build_now(self) -> None:
        from sortext.daemon.lock import holder
        from sortext.pages.build import build

        if holder(StateDir(self.repo.root).watch_lock) is not None:
            return  # the watcher renders; its writes to site/ reach the browser
        try:
            build(self.repo, self.today())
        except Exception:  # keep serving: the next save may fix it
            log.exception("rebuilding the pages failed")

    def _run(self) -> None:
        while not self._stop.is_set():
            self._dirty.wait()
            if self._stop.is_set():
                return
            # a burst of events from one save (temp file, rename) is one rebuild
            while self._dirty.is_set():
                self._dirty.clear()
                self._stop.wait(REBUILD_DEBOUNCE)
            self.build_now()


def _observer(repo: Repository, events: PageEvents, rebuilder: Rebuilder) -> Any:
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer

    site = (repo.root / SITE_DIR).resolve()
    clients = repo.config.clients_path.resolve()

    def paths(event: FileSystemEvent) -> list[Path]:
        found = [Path(str(event.src_path))]
        dest = getattr(event, "dest_path", "")
        if dest:
            found.append(Path(str(dest)))
        return found

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.event_type in ("opened", "closed_no_write"):
                return
            for path in paths(event):
                if path.is_relative_to(site):
                    events.changed()
                elif path.is_relative_to(clients) and path.suffix == ".md":
                    rebuilder.request()

    observer = Observer()
    handler = Handler()
    site.mkdir(parents=True, exist_ok=True)
    observer.schedule(handler, str(site), recursive=True)
    observer.schedule(handler, str(clients), recursive=True)
    return observer


LIVE_PANEL = """<style>
.live { display:flex; flex-wrap:wrap; gap:8px; align-items:center; padding:8px 16px;
  background:#fff; border-bottom:1px solid #eaecf0; font:14px system-ui,sans-serif; }
.live input { flex:1 1 14em; min-width:0; padding:6px 8px; font:inherit; }
.live select { padding:6px; font:inherit; max-width:100%%; }
.live ul { flex-basis:100%%; margin:0; padding:0 0 0 1.2em; overflow-wrap:anywhere; }
</style>
<form id="live" class="live" role="search" onsubmit="return false">
<input id="live-q" type="search" placeholder="Search clients and notes" aria-label="Search">
<select id="live-owner" aria-label="Owner"><option value="">Everyone</option></select>
<ul id="live-results" hidden></ul>
</form>
<script>
(function () {
  var served = %(version)d, root = %(root)s;
  var source = new EventSource(root + "events");
  source.addEventListener("pages", function (e) {
    if (Number(e.data) !== served) { location.reload(); }
  });
  var q = document.getElementById("live-q"), owner = document.getElementById("live-owner");
  var list = document.getElementById("live-results"), timer = null;
  function show(data) {
    var known = owner.value;
    owner.length = 1;
    data.owners.forEach(function (o) { owner.add(new Option(o, o, false, o === known)); });
    list.textContent = "";
    if (!q.value && !owner.value) { list.hidden = true; return; }
    data.clients.forEach(function (c) {
      var li = document.createElement("li"), a = document.createElement("a");
      a.href = root + "clients/" + encodeURIComponent(c.id) + ".html";
      a.textContent = c.name;
      li.appendChild(a);
      li.appendChild(document.createTextNode(" " + c.stage + (c.owner ? " [" + c.owner + "]" : "")
        + (c.snippet ? " " + c.snippet : "")));
      list.appendChild(li);
    });
    if (!data.clients.length) {
      list.appendChild(document.createElement("li")).textContent = "No clients match.";
    }
    list.hidden = false;
  }
  function ask() {
    var url = root + "api/clients?q=" + encodeURIComponent(q.value)
      + "&owner=" + encodeURIComponent(owner.value);
    fetch(url).then(function (r) { return r.json(); }).then(show);
  }
  q.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(ask, 150); });
  owner.addEventListener("change", ask);
  ask();
})();
</script>
"""


def inject(html: bytes, version: int, root: str) -> bytes:
    """``html`` with the live panel (search, owner filter, reload script) after <body>."""
    panel = (LIVE_PANEL % {"version": version, "root": json.dumps(root)}).encode("utf-8")
    match = _BODY.search(html)
    at = match.end() if match else 0
    return html[:at] + panel + html[at:]


def clients_answer(repo: Repository, today: dt.date, q: str, owner: str) -> dict[str, Any]:
    """``{owners: [...], clients: [{id, name, stage, owner, snippet}]}`` from the index:
    clients whose name or notes hold every word of ``q`` (all when empty), owned by
    ``owner`` (everyone when empty)."""
    from sortext.views.queries import client_list, search

    rows = client_list(repo, today)
    owners = sorted(
        {*repo.config.people, *(str(r.record.view.owner) for r in rows if r.record.view.owner)}
    )
    by_id = {r.record.id: r for r in rows}
    if q.split():
        hits = search(repo, q.split())
        picked = [(by_id[h.id], h.snippet) for h in hits if h.id in by_id]
    else:
        picked = [(r, "") for r in rows]
    clients = [
        {
            "id": r.record.id,
            "name": r.record.name,
            "stage": r.record.stage,
            "owner": r.record.view.owner,
            "snippet": snippet,
        }
        for r, snippet in picked
        if not owner or r.record.view.owner == owner
    ]
    return {"owners": owners, "clients": clients}


def create_app(repo: Repository, today: Callable[[], dt.date], watch: bool = True) -> Any:
    """The Starlette application serving ``repo``'s pages (``watch``: follow record
    saves and page changes; the tests of pure routes may turn it off)."""
    from sse_starlette.sse import EventSourceResponse
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    site = repo.root / SITE_DIR
    events = PageEvents()
    rebuilder = Rebuilder(repo, today)

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        events.attach(asyncio.get_running_loop())
        await asyncio.to_thread(rebuilder.build_now)
        observer = None
        if watch:
            rebuilder.start()
            observer = _observer(repo, events, rebuilder)
            observer.start()
        try:
            yield
        finally:
            if observer is not None:
                observer.stop()
                observer.join(timeout=10)
                rebuilder.stop()

    def page(path: Path, root: str) -> Response:
        try:
            body = path.read_bytes()
        except FileNotFoundError:
            return Response("no such page (run 'sortext build')\n", 404, media_type="text/plain")
        return Response(
            inject(body, events.version, root),
            media_type="text/html; charset=utf-8",
            headers={"Cache-Control": "no-store"},
        )

    async def index(request: Request) -> Response:
        return page(site / "index.html", "")

    async def client(request: Request) -> Response:
        slug = str(request.path_params["slug"])
        if not _SLUG.match(slug):
            return Response("no such client\n", 404, media_type="text/plain")
        return page(site / "clients" / f"{slug}.html", "../")

    async def stream(request: Request) -> Response:
        async def versions() -> AsyncIterator[dict[str, str]]:
            seen = events.version
            yield {"event": "pages", "data": str(seen)}
            while True:
                seen = await events.wait(seen)
                yield {"event": "pages", "data": str(seen)}

        return EventSourceResponse(versions(), ping=15)

    async def api_clients(request: Request) -> Response:
        q = request.query_params.get("q", "")
        owner = request.query_params.get("owner", "")
        answer = await asyncio.to_thread(clients_answer, repo, today(), q, owner)
        return JSONResponse(answer, headers={"Cache-Control": "no-store"})

    site.mkdir(parents=True, exist_ok=True)
    return Starlette(
        routes=[
            Route("/", index),
            Route("/index.html", index),
            Route("/clients/{slug}.html", client),
            Route("/events", stream),
            Route("/api/clients", api_clients),
            Mount("/", StaticFiles(directory=site)),
        ],
        lifespan=lifespan,
    )


def serve(
    repo: Repository,
    today: Callable[[], dt.date],
    host: str,
    port: int,
    ready: Callable[[str], None],
) -> None:
    """Bind ``host:port`` (0: any free port), call ``ready(url)`` and serve until
    Ctrl-C.  Raises UsageError when the address cannot be bound."""
    import socket

    import uvicorn

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(128)  # connections wait in the backlog until uvicorn accepts them
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    config = uvicorn.Config(create_app(repo, today), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    ready(f"http://{shown}:{bound}/")
    server.run(sockets=[sock])

"""``sortext erase ID [--yes] [--push]``: a client gone from the files, history and backups."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sortext.commands.options import (
    RECORD_ID,
    complete_ids,
    open_repo,
    repo_option,
    resolve_today,
    today_option,
)
from sortext.commands.style import visible
from sortext.rules.wording import count

if TYPE_CHECKING:
    from sortext.vcs.erase import ErasePlan, EraseReport


@click.command("erase")
@click.argument("record_id", metavar="ID", type=RECORD_ID, shell_complete=complete_ids)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (for scripts).")
@click.option(
    "--push",
    is_flag=True,
    help="Also rewrite every backup remote (force push) and verify each with a fresh clone.",
)
@click.option(
    "--reason",
    type=click.Choice(["request", "retention", "error"]),
    default="request",
    show_default=True,
    help="Reason code kept in erased.yaml.",
)
@today_option
@repo_option
def command(
    record_id: str,
    yes: bool,
    push: bool,
    reason: str,
    today: str | None,
    repo_dir: Path | None,
) -> None:
    """Delete a client from the working tree AND from all git history.

    Every branch and tag (the pages branch too) is rewritten with
    git-filter-repo: files named after the client are dropped and the
    client's id, name, email and phone (every value they ever had) are
    replaced by '(erased)' in every other file and commit message.  Reflogs
    are expired, old objects pruned, .sortext/ deleted, and every object in
    the repository is then read to prove none still holds those values.  A
    tombstone (salted hashes, date, reason; no personal data) is committed
    to erased.yaml so sync, import, intake and the watcher refuse to bring
    the client back.  This is the only command that rewrites history.

    --push force-updates every backup remote (sortext.yaml backup.remotes
    and backup.encrypted; an encrypted remote in a local folder is emptied
    and pushed afresh) and verifies a fresh clone of each.  Other clones must be re-cloned.
    Exit status: 0 erased and verified, 1 a value was still found or a
    remote failed, 2 error or not confirmed.  After a 1, edit the places
    reported, commit, and run erase again for the same ID: it finishes the
    rewrite (what it needs is kept meanwhile in .git/sortext-erase-ID.json).

    \b
    Examples:
      sortext erase harbour-lane-coop
      sortext erase harbour-lane-coop --reason retention --push --yes
    """
    from sortext.commands.style import busy
    from sortext.vcs.erase import check_ready, erase

    refuse_linked_stores(repo_dir)
    repo = open_repo(repo_dir)
    day = resolve_today(today, repo.config.timezone)
    # the watcher's lock from before the plan to the end of the rewrite, and every
    # refusal before the question: a "yes" is never followed by "cannot"
    with watcher_stopped(repo):
        plan = plan_or_say_done(repo, record_id)
        add_inbox_notes(repo, plan, day)
        check_ready(repo, plan, reason)
        remotes = show_plan(repo, plan, push, "erase")
        if not yes and not click.confirm("Erase this client for good?", default=False):
            click.echo("nothing changed", err=True)
            sys.exit(2)
        with busy("rewriting history and verifying"):
            report = erase(repo, plan, day, reason, push, remotes, rebuild=rebuilder(repo, day))
    rebuild_pages(repo, report, day)
    show_report(report, push)
    settle_pending(repo, report, day, "erase")
    sys.exit(0 if report.ok else 1)


def plan_or_say_done(repo: Any, record_id: str) -> ErasePlan:
    """The plan of erasing ``record_id``, or of finishing its unfinished erase
    (:func:`sortext.vcs.erase.plan_or_resume`); a client erased and verified clean
    before is said so, exit status 0 (running erase again is never an error)."""
    from sortext.vcs.erase import AlreadyErased, plan_or_resume

    try:
        return plan_or_resume(repo, record_id)
    except AlreadyErased as done:
        click.echo(visible(str(done)))
        sys.exit(0)


def settle_pending(repo: Any, report: EraseReport, today: dt.date, verb: str) -> None:
    """Keep what an unfinished erase needs to finish (:mod:`sortext.vcs.erasepending`),
    or delete it once the erase verified clean; say which."""
    from sortext.vcs.erasepending import clear, save

    plan = report.plan
    if report.ok:
        if clear(repo.root, plan.record_id):
            click.echo(
                f"erase of {visible(plan.record_id)} finished: the client's values and "
                "sentences kept on this machine meanwhile are deleted"
            )
        return
    values = [(v.field, v.text) for v in [*plan.values, *plan.too_short]]
    sentences = [s.text for s in plan.sentences]
    kept = save(repo.root, plan.record_id, values, sentences, today.isoformat())
    again = f"sortext erase {plan.record_id}" + (
        " --push" if report.remotes or report.remote_errors else ""
    )
    click.echo(
        f"NOT finished: to finish it, edit each place above (take the client's words out; "
        f"it is yours to judge), commit, then run '{visible(again)}' again: it replaces the "
        "client's sentences by '(erased)' in the older commits too and verifies again. "
        f"Until then the client's values and sentences are kept in {visible(str(kept))} "
        "(this machine only, never committed or pushed; deleting it gives the erase up)"
    )
    if verb != "erase":
        click.echo(f"(the {verb}d record stays as it is; erase only finishes the rewrite)")


def refuse_linked_stores(repo_dir: Path | None) -> None:
    """Refuse (UsageError) before anything is read when a store erase deletes
    (``.sortext``) is a link: erase never deletes through a link, so the derived data
    at its target (the index holds every client's notes) would survive; the message
    names the target to empty first.  (Opening the repository refuses a link leading
    outside it with a generic message, whose "replace the link" would leave the
    target's data behind.)"""
    from sortext.repo import find_root
    from sortext.vcs.derived import linked_store_problem

    problem = linked_store_problem(find_root(repo_dir))
    if problem is not None:
        from sortext.errors import UsageError

        raise UsageError(problem)


def add_inbox_notes(repo: Any, plan: ErasePlan, today: dt.date) -> None:
    """Inbox notes matched to the client (``sortext inbox``'s matching) are their data
    on its way into the record: a note file in ``inbox/`` is dropped with the record
    (working tree and history); a section of ``inbox.md`` cannot be, and the plan
    names it (``plan.inbox_sections``) to be cut first."""
    from sortext.errors import SortextError
    from sortext.io.inbox import read_inbox

    try:
        notes = read_inbox(repo, today)
    except SortextError:
        return  # an inbox that cannot be read is reported by 'sortext inbox'
    mine = [n for n in notes if n.record_id == plan.record_id]
    files = {n.source for n in mine if n.span is None}
    plan.paths = sorted(set(plan.paths) | files)
    plan.inbox_sections = sorted(n.source for n in mine if n.span is not None)


def show_plan(repo: Any, plan: ErasePlan, push: bool, verb: str) -> list[str]:
    """Print what the rewrite will do; the backup remotes it will rewrite."""
    from sortext.vcs.backup import encrypted_settings
    from sortext.vcs.sync import backup_settings

    remotes: list[str] = []
    if push:
        remotes = backup_settings(repo)[0]
        remotes += [e.name for e in encrypted_settings(repo) if e.name not in remotes]
    click.echo(f"{verb} {visible(plan.record_id)}: this rewrites the whole history")
    if plan.resumed:
        click.echo(
            f"  resuming the unfinished erase of {plan.pending_since or 'before'}: its "
            "values and sentences (kept on this machine); the sentences are replaced by "
            "'(erased)' in every commit this time (the current files no longer quote them)"
        )
    click.echo(f"  commits that touch the record: {plan.commits}")
    from sortext.vcs.derived import pages_refs, pages_tags

    afresh = pages_refs(repo.root, repo)
    tags = pages_tags(repo.root, repo)
    rewritten = [r for r in plan.refs if r not in afresh and r not in tags]
    click.echo(f"  refs rewritten: {', '.join(visible(r) for r in rewritten) or 'none'}")
    if afresh:
        click.echo(
            "  deleted, not rewritten (derived; published afresh from the records when "
            f"pages are on): {', '.join(map(visible, afresh))}"
        )
    if tags:
        click.echo(
            "  tags on the pages branch alone (derived), deleted here and, with --push, on "
            f"the backups: {', '.join(map(visible, tags))}"
        )
    if any(r.startswith("refs/notes/") for r in rewritten):
        click.echo(
            "  git notes: filed again under the rewritten commits, values replaced; a note "
            "on a commit that only changed the client is dropped with it; a note on a file, "
            "folder or tag follows it (dropped when it is gone with the client)"
        )
    click.echo("  files dropped from every commit:")
    for path in plan.paths:
        click.echo(f"    {visible(path)}")
    if plan.derived_paths:
        click.echo("  derived files committed in history, dropped and committed again:")
        for path in plan.derived_paths:
            click.echo(f"    {visible(path)}")
    for section in plan.inbox_sections:
        click.echo(
            f"  NOT erased: {visible(section)} is about the client: cut that section from "
            "inbox.md (and commit) before erasing"
        )
    if plan.named_files:
        click.echo("  files outside git named after the client, deleted:")
        for path in plan.named_files:
            click.echo(f"    {visible(path)}")
    for said in plan.identity_notes:
        click.echo(f"  note: {visible(said)}")
    fields = sorted({v.field for v in plan.values})
    click.echo(
        f"  values replaced by '(erased)' everywhere: {len(plan.values)} ({', '.join(fields)})"
    )
    if plan.sentences and plan.resumed:
        click.echo(
            f"  sentences of the client's notes replaced by '(erased)' in every commit, then "
            f"looked for: {len(plan.sentences)}"
        )
    elif plan.sentences:
        click.echo(
            f"  sentences of the client's notes looked for afterwards: {len(plan.sentences)} "
            "(free text is not replaced: a place still quoting one is reported by commit, "
            "path and line)"
        )
    quoted = [q for q in plan.quoted if q.split(", line ", 1)[0] not in plan.paths]
    for place in quoted[:20]:
        click.echo(
            f"  NOT erased (free text): {visible(place)}: edit it first if it is the "
            "client's (a rewrite keeps it, and its history)"
        )
    for v in plan.too_short:
        click.echo(f"  not searched (shorter than 4 characters): {v.field}")
    for kind in sorted({v.field for v in plan.own_words}):
        click.echo(
            f"  not replaced: {kind} (also another client's, or a word of sortext.yaml or "
            "the record format such as a person who owns records: replacing it would "
            "rewrite the other records)"
        )
    if push:
        click.echo(f"  backup remotes force-updated: {', '.join(remotes) or 'none configured'}")
    else:
        click.echo("  backup remotes: NOT changed (use --push); they still hold the client")
    others = other_remotes(repo.root, remotes)
    if push and others:
        click.echo(
            f"  other remotes NOT changed (not backup remotes): {', '.join(map(visible, others))}"
            "; they still hold the client (add them to backup.remotes in sortext.yaml to "
            "have --push rewrite them, or rewrite them yourself)"
        )
    return remotes


def other_remotes(root: Path, rewritten: list[str]) -> list[str]:
    """The git remotes of the repository that ``--push`` does not rewrite."""
    from sortext.vcs import git

    return [r for r in git.text(root, "remote").split() if r not in rewritten]


@contextmanager
def watcher_stopped(repo: Any) -> Iterator[None]:
    """Hold the watcher's lock for the whole rewrite: refuse (DaemonRunning, exit 2)
    while ``sortext watch`` runs, and keep one from starting meanwhile.  A running
    watcher holds the client in memory, in its private git index and in the replies
    its refresh child writes, and would write them back after erase deleted them."""
    from sortext.daemon.lock import DaemonRunning, acquire, holder, lock_path

    try:
        held = acquire(lock_path(repo.root))
    except DaemonRunning:
        raise DaemonRunning(
            f"sortext watch is running for this repository (pid {holder(lock_path(repo.root))}): "
            "it would write the client back into what erase deletes. Stop it (Ctrl-C, or "
            "systemctl --user stop sortext-watch), erase, then start it again"
        ) from None
    try:
        yield
    finally:
        held.release()


def rebuilder(repo: Any, today: dt.date) -> Callable[[bool], list[str]]:
    """What writes the derived stores again after a rewrite (``rebuild`` of
    :data:`sortext.vcs.derived.STORES`): the pages when there were any, the configured
    exports, and, when ``republish``, the pages branch as one new commit for HEAD.
    Whether there were pages is looked at now, before the rewrite removes any."""
    had_pages = any(os.path.lexists(repo.root / p) for p in ("NEXT.md", "site"))

    def rebuild(republish: bool) -> list[str]:
        from sortext.io.export import write_configured_exports
        from sortext.pages.build import build
        from sortext.repo import open_repository
        from sortext.vcs import git
        from sortext.vcs.pages import PagesSettings, publish

        fresh = open_repository(repo.root)  # sortext.yaml may have been rewritten
        done: list[str] = []
        if republish or had_pages:
            build(fresh, today)
            done.append("the pages (NEXT.md, site/)")
        if fresh.config.raw.get("exports"):
            write_configured_exports(fresh, today)
            done.append("the configured exports")
        settings = PagesSettings.from_config(fresh.config.raw.get("pages"))
        head = git.head_commit(fresh.root)
        if republish and settings.ref and head:
            publish(fresh.root, head, settings)
            done.append(f"the pages branch {settings.branch} (one new commit, no old history)")
        return done

    return rebuild


def rebuild_pages(repo: Any, report: EraseReport, today: dt.date) -> None:
    """Generated pages outside git still naming the client: rebuild them (the client's
    own page is removed by the build), then look again."""
    if not report.leftovers:
        return
    from sortext.pages.build import build
    from sortext.vcs.erase import working_tree_hits

    build(repo, today)
    report.leftovers = working_tree_hits(repo.root, report.plan.values, report.plan.sentences)


def show_report(report: EraseReport, push: bool) -> None:
    """Print what was removed and what each verification searched and found."""
    for removed in report.removed_files:
        click.echo(f"removed {visible(removed)}")
    for rebuilt in report.rebuilt:
        click.echo(f"written again from the records: {visible(rebuilt)}")
    notes = report.notes
    if notes.refs:
        click.echo(
            f"git notes ({', '.join(map(visible, notes.refs))}): {notes.moved} filed again under "
            f"the rewritten commits, {notes.dropped} dropped with the commit (or file) they were on"
        )
        for said in notes.said:
            click.echo(f"  {visible(said)}")
    values = len(report.plan.values)
    looked = len(report.plan.sentences)
    sentences = f" and {count(looked, 'sentence')} of the client's notes" if looked else ""
    for v in [report.local, *report.remotes]:
        state = "clean" if v.clean else "STILL FOUND"
        click.echo(
            f"verified {visible(v.where)}: {count(v.objects, 'object')} and "
            f"{count(v.files, 'git file')} "
            f"searched for {count(values, 'value')}{sentences}: {state}"
        )
        for hit in v.found[:20]:
            click.echo(f"  {visible(hit)}")
        for hit in v.quoted[:20]:
            click.echo(f"  {visible(hit)}")
        if len(v.quoted) > 20:
            click.echo(f"  ... and {len(v.quoted) - 20} more places quoting the client's notes")
    for name, error in report.remote_errors.items():
        click.echo(f"{visible(name)}: FAILED: {visible(error)}")
    for hit in report.leftovers:
        click.echo(f"STILL FOUND outside git (delete or edit it): {visible(hit)}")
    if report.plan.resumed:
        click.echo("tombstone: in erased.yaml since the first erase (not written again)")
    else:
        click.echo(
            "tombstone committed to erased.yaml (salted hashes, date, reason; no personal data)"
        )
    if not push:
        click.echo(
            "backup remotes still hold the client: push the rewritten history with "
            "'git push --force REMOTE --all', 'git push --force REMOTE --tags' and, with "
            "git notes, 'git push --force REMOTE 'refs/notes/*'' (--push does this, deletes "
            "there what erase deleted here, and verifies), then 'sortext backup'"
        )

"""Break-testing ``sortext erase`` (branch erase11): the client's text surviving, or
someone else's destroyed: sentences of the client's notes quoted elsewhere (the
leftover scan), git notes on files and folders, the user's own commits when the
user and the client share a name.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLE_TODAY, git
from tests.test_breakerase9 import ID, MARKED, RECORD, marker_hits

OTHER = "clients/bruno-castellanos.md"


def _commit(root: Path, message: str, *extra: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "--no-verify", "-m", message, *extra)
    return git(root, "rev-parse", "HEAD").strip()


def _append(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.write_text(path.read_text("utf-8") + f"\n{text}\n", "utf-8")


def _bare(tmp_path: Path, root: Path) -> Path:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--bare", "--quiet", str(remote))
    git(root, "remote", "add", "origin", str(remote))
    return remote


# --- 3. the user's own identity -------------------------------------------------------


def test_the_user_s_own_commits_keep_their_name_when_the_client_shares_it(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """The user (git user.name "Zvqora Quellen") has a client of the same name: every
    commit the user made became "(erased)"; the client's own commit (their email) must
    still lose name and email, and the plan says the names collide."""
    root = records_repo
    remote = _bare(tmp_path, root)
    git(root, "config", "user.name", "Zvqora Quellen")
    git(root, "config", "user.email", "me@practice.example")
    (root / RECORD).write_text(MARKED, "utf-8")
    _commit(root, "the client")
    _append(root, OTHER, "A plan for Bruno.")
    mine = _commit(root, "my own work")
    _append(root, OTHER, "An edit the client sent.")
    _commit(root, "their edit", "--author", "Zvqora Q. <ZVQMAIL@example.com>")
    git(root, "tag", "-a", "mine", "-m", "my tag", mine)
    git(root, "push", "--quiet", "origin", "main", "--tags")

    result = cli("erase", ID, "--yes", "--push", "--today", SAMPLE_TODAY, "--repo", str(root))
    assert result.exit_code == 0, result.output
    assert "has the client's name" in result.output
    authors = git(root, "log", "--format=%an <%ae>|%cn <%ce>|%s", "main").splitlines()
    own = "Zvqora Quellen <me@practice.example>"
    by_subject = {line.rsplit("|", 1)[1]: line.rsplit("|", 1)[0] for line in authors}
    assert by_subject["my own work"] == f"{own}|{own}"
    assert by_subject["their edit"] == f"(erased) <(erased)>|{own}"
    assert git(root, "tag", "-l", "--format=%(taggername)", "mine") == "Zvqora Quellen\n"
    # the client's email is gone everywhere; the name stays only as the user's own
    assert not [h for h in marker_hits(root) if "zvqmail" in h]
    assert b"zvqmail" not in git(remote, "log", "--all", "--format=%B%an%ae").encode()


def test_a_commit_with_the_client_s_email_is_theirs_whatever_name_it_has(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    root = records_repo
    (root / RECORD).write_text(MARKED, "utf-8")
    _commit(root, "the client")
    _append(root, OTHER, "A line.")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Q. from the laptop",
        "GIT_AUTHOR_EMAIL": "zvqmail@example.com",
    }
    subprocess.run(
        ["git", "commit", "--quiet", "-am", "from their laptop"], cwd=root, env=env, check=True
    )
    result = cli("erase", ID, "--yes", "--today", SAMPLE_TODAY, "--repo", str(root))
    assert result.exit_code == 0, result.output
    assert git(root, "log", "-1", "--format=%an <%ae>", "main~1") == "(erased) <(erased)>\n"
    assert git(root, "log", "-1", "--format=%cn", "main~1") == "Test User\n"


_NAMES = st.text(st.characters(categories=["L", "Zs"]), min_size=4, max_size=16).filter(
    lambda t: len(t.split()) >= 1 and len("".join(t.split())) >= 4
)
_ADDRESS = st.from_regex(r"[a-z]{4,8}@[a-z]{3,6}\.example", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(
    name=_NAMES,
    client_email=_ADDRESS,
    own_email=_ADDRESS,
    other_email=_ADDRESS,
    spacing=st.sampled_from([" ", "  ", "\t"]),
    upper=st.booleans(),
)
def test_identity_rules_never_touch_the_user_and_always_take_the_client_s_email(
    name: str, client_email: str, own_email: str, other_email: str, spacing: str, upper: bool
) -> None:
    """Over generated names and addresses, the user sharing the client's name: the
    user's own identity (any spelling of their address) is never rewritten; one with
    the client's email always loses name and email; the user's name under another
    address of theirs is kept; the verification blanks exactly the kept ones."""
    from sortext.vcs.erase import Value
    from sortext.vcs.eraseidentity import fix_identity, identities, without_own_identities

    if len({client_email, own_email, other_email}) < 3:
        return
    values = [Value("name", name.strip()), Value("email", client_email)]
    rules = identities(
        [(name.strip(), own_email)],
        [values[1].pattern()],
        [v.pattern() for v in values],
        [values[0].pattern()],
    )
    assert rules.notes and "has the client's name" in rules.notes[0]
    args = (rules.own_emails, rules.own_names, rules.client_emails, rules.values, b"(erased)")
    spelled = spacing.join(name.split()).encode()
    own = own_email.upper() if upper else own_email
    assert fix_identity(spelled, own.encode(), *args) == (spelled, own.encode())
    theirs = client_email.upper() if upper else client_email
    assert fix_identity(b"anyone", theirs.encode(), *args) == (b"(erased)", b"(erased)")
    assert fix_identity(spelled, other_email.encode(), *args)[0] == spelled  # the user's name
    header = b"author " + spelled + b" <" + own.encode() + b"> 1700000000 +0100\n\nmsg\n"
    assert name.split()[0].encode() not in without_own_identities(header, rules).split(b"\n")[0]
    client_line = b"author x <" + client_email.encode() + b"> 1700000000 +0100\n"
    assert without_own_identities(client_line, rules) == client_line

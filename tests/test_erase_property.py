"""Properties of erasure over generated identifying values and tombstones.

The class: any name, email and phone a client ever had, written plainly or with
YAML/JSON escapes, in any commit, is gone from every object after erase; a
tombstone matches its client (id, email in any case) and survives a round trip
through its file without holding the values.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.record import tombstone
from sortext.repo import open_repository
from sortext.vcs.erase import erase, plan_erase
from tests.conftest import PROJECT_ROOT, git
from tests.test_erase import object_hits

slug = st.from_regex(r"[a-z][a-z0-9]{2,10}(-[a-z0-9]{1,8}){0,2}", fullmatch=True)
email = st.builds(
    lambda user, host: f"{user}@{host}.example",
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._+]{2,12}", fullmatch=True),
    st.from_regex(r"[a-z]{3,10}", fullmatch=True),
)
name_part = st.text(
    alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyzÅéøßčЖ'.()&")), min_size=3, max_size=10
)
name = st.builds(lambda a, b: f"Zq{a} {b}".strip(), name_part, name_part)
phone = st.from_regex(r"\+[1-9][0-9]{1,2} [0-9]{2,4} [0-9]{3,4} [0-9]{3,4}", fullmatch=True)


@given(slug, email, st.sampled_from(tombstone.REASONS))
def test_tombstone_matches_its_client_and_hides_the_values(
    record_id: str, address: str, reason: str
) -> None:
    stones = tombstone.Tombstones()
    stones.add(record_id, [address], dt.date(2026, 11, 30), reason)
    text = stones.dumps()
    shapes = re.compile(
        r"salt: '[0-9a-f]{32}'|erased:|  - \{id: '[0-9a-f]{64}', email: '[0-9a-f]{64}', "
        r"date: '\d{4}-\d\d-\d\d', reason: [a-z]+\}"
    )
    for line in text.splitlines():  # nothing but comments, hex, a date and a reason code
        assert line.startswith("#") or shapes.fullmatch(line), line
    again = tombstone.parse(text)
    assert again.match(record_id) is not None
    assert again.match("someone-else", address.upper()) is not None
    assert again.match(record_id + "x", "other@else.example") is None


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name, email, phone, st.booleans())
def test_erase_leaves_no_object_with_any_value(
    who: str, address: str, number: str, ascii_escaped: bool
) -> None:
    root = Path(tempfile.mkdtemp(prefix="sortext-erase-prop-"))
    try:
        shutil.copy(PROJECT_ROOT / "sortext.yaml", root / "sortext.yaml")
        (root / "clients").mkdir()
        git(root, "init", "--quiet", "--initial-branch=main")
        git(root, "config", "user.email", "t@sortext.invalid")
        git(root, "config", "user.name", "T")
        target = root / "clients" / "target-client.md"
        keep = root / "clients" / "kept-client.md"
        keep.write_text("---\nname: Kept Person\nstage: inquiry\n---\n", "utf-8")

        def write(value: str) -> None:
            quoted = json.dumps(value, ensure_ascii=ascii_escaped)
            target.write_text(
                f"---\nname: {quoted}\nemail: {json.dumps(address)}\n"
                f"phone: {json.dumps(number)}\nstage: inquiry\n---\n\nNotes on {value}.\n",
                "utf-8",
            )

        write(who + " Old")
        git(root, "add", "-A")
        git(root, "commit", "--quiet", "-m", f"new client {who} Old")
        write(who)
        keep.write_text(keep.read_text("utf-8") + f"\nReferred by {who}.\n", "utf-8")
        git(root, "commit", "--quiet", "-am", "rename")
        needles = [v.encode() for v in (who, address, number, "target-client")]
        assert object_hits(root, needles)
        repo = open_repository(root)
        report = erase(repo, plan_erase(repo, "target-client"), dt.date(2026, 11, 30))
        assert report.local.clean, report.local.found
        assert object_hits(root, needles) == []
        stored = subprocess.run(
            ["git", "log", "--all", "-p"], cwd=root, capture_output=True, check=True
        ).stdout
        escaped = json.dumps(who)[1:-1].encode()
        assert escaped not in stored and who.encode() not in stored
        assert "Kept Person" in keep.read_text("utf-8")
    finally:
        shutil.rmtree(root, ignore_errors=True)

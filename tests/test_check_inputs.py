"""Hostile and broken inputs that cannot live in the corpus: each is one clear
diagnostic, and a bad file never stops the others from being checked."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from sortext.record.source import LINK_PROBLEM

GOOD = """---
name: Good Client
stage: inquiry
owner: me
next_action: {what: Reply, due: 2026-12-01}
---
"""


def problems(result: Result) -> list[dict[str, object]]:
    data: list[dict[str, object]] = json.loads(result.stdout)
    return data


def only_problem(result: Result, path: str) -> dict[str, object]:
    found = [d for d in problems(result) if d["path"] == path]
    assert len(found) == 1, found
    return found[0]


@pytest.fixture
def repo(empty_repo: Path) -> Path:
    """The default config with one valid record beside whatever a test adds."""
    (empty_repo / "clients" / "good.md").write_text(GOOD, encoding="utf-8")
    return empty_repo


def check_json(cli: Callable[..., Result], repo: Path, *args: str) -> Result:
    return cli("check", "--repo", str(repo), "--json", *args)


def assert_good_still_checked(result: Result) -> None:
    assert all(d["path"] != "clients/good.md" for d in problems(result))


def test_fifty_megabyte_file(cli: Callable[..., Result], repo: Path) -> None:
    big = repo / "clients" / "huge.md"
    with big.open("wb") as handle:
        handle.write(GOOD.encode())
        handle.write(b"notes " * (50 * 1024 * 1024 // 6))
    result = check_json(cli, repo)
    assert result.exit_code == 1
    found = only_problem(result, "clients/huge.md")
    assert "larger than 5 MiB" in str(found["message"])
    assert (found["line"], found["column"]) == (1, 1)
    assert_good_still_checked(result)


def test_front_matter_over_64_kib(cli: Callable[..., Result], repo: Path) -> None:
    lines = [f"  - Blocker number {i} with some words to make it long" for i in range(2000)]
    text = "---\nname: A\nstage: inquiry\nblockers:\n" + "\n".join(lines) + "\n---\n"
    (repo / "clients" / "long.md").write_text(text, encoding="utf-8")
    result = check_json(cli, repo)
    found = only_problem(result, "clients/long.md")
    assert "front matter is larger than 64 KiB" in str(found["message"])


def test_file_vanishing_between_listing_and_reading(repo: Path) -> None:
    from sortext.check.many import check_files
    from sortext.repo import open_repository
    from sortext.schema.validate import RecordValidator

    gone = repo / "clients" / "gone.md"
    gone.write_text(GOOD, encoding="utf-8")
    opened = open_repository(repo)
    listed = [(str(p), opened.relative(p)) for p in opened.record_paths()]
    gone.unlink()  # deleted after the listing, before the read
    outcomes = {o.path: o for o in check_files(listed, RecordValidator(opened.config))}
    assert outcomes["clients/good.md"].diagnostics == []
    (problem,) = outcomes["clients/gone.md"].diagnostics
    assert problem.message == "file not found: it was deleted or renamed before it could be read"


def test_directory_named_like_a_record(cli: Callable[..., Result], repo: Path) -> None:
    (repo / "clients" / "x.md").mkdir()
    result = check_json(cli, repo)
    assert result.exit_code == 1
    assert only_problem(result, "clients/x.md")["message"] == "is a directory, not a record file"
    assert_good_still_checked(result)


def test_symlink_loop(cli: Callable[..., Result], repo: Path) -> None:
    clients = repo / "clients"
    (clients / "a.md").symlink_to("b.md")
    (clients / "b.md").symlink_to("a.md")
    result = check_json(cli, repo)
    for name in ("a", "b"):
        found = only_problem(result, f"clients/{name}.md")
        assert found["message"] == LINK_PROBLEM  # a link is never followed
    assert_good_still_checked(result)


def test_fifo_named_like_a_record_does_not_hang(cli: Callable[..., Result], repo: Path) -> None:
    os.mkfifo(repo / "clients" / "pipe.md")
    result = check_json(cli, repo)
    assert "is a named pipe (FIFO), not a record file" in str(
        only_problem(result, "clients/pipe.md")["message"]
    )


def test_unreadable_file(repo: Path) -> None:
    """chmod 000; as root (CI) permissions do not apply, so read as 'nobody' in a child."""
    from sortext.check.load import load_record
    from sortext.repo import open_repository
    from sortext.schema.validate import RecordValidator

    secret = repo / "clients" / "secret.md"
    secret.write_text(GOOD, encoding="utf-8")
    secret.chmod(0o000)
    validator = RecordValidator(open_repository(repo).config)
    if os.geteuid() != 0:
        result = load_record(str(secret), "clients/secret.md", validator)
        messages = [d.message for d in result.diagnostics]
    else:
        for folder in (repo, *repo.parents):  # let 'nobody' reach the file
            if folder != Path("/"):
                folder.chmod(folder.stat().st_mode | 0o011)
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: drop root, read, report through the pipe
            try:
                os.close(read_end)
                os.setgid(65534)
                os.setuid(65534)
                found = load_record(str(secret), "clients/secret.md", validator)
                os.write(write_end, json.dumps([d.message for d in found.diagnostics]).encode())
            finally:
                os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            messages = json.loads(pipe.read() or b"null")
        os.waitpid(pid, 0)
    assert messages == ["cannot read the file: permission denied (check its permissions)"]


def test_bad_files_never_stop_the_others(cli: Callable[..., Result], repo: Path) -> None:
    clients = repo / "clients"
    (clients / "a-binary.md").write_bytes(b"\x00\x01\x02")
    (clients / "b-broken.md").write_text("---\nname: [\n---\n", encoding="utf-8")
    (clients / "c-dir.md").mkdir()
    (clients / "z-bad-stage.md").write_text(GOOD.replace("inquiry", "nowhere"), "utf-8")
    result = check_json(cli, repo)
    paths = [d["path"] for d in problems(result)]
    assert paths == [
        "clients/a-binary.md",
        "clients/b-broken.md",
        "clients/c-dir.md",
        "clients/z-bad-stage.md",
    ]


def test_many_files_in_parallel_report_like_one(cli: Callable[..., Result], repo: Path) -> None:
    """Over the parallel threshold the workers' results match a serial run."""
    from sortext.check.many import PARALLEL_THRESHOLD

    clients = repo / "clients"
    for i in range(PARALLEL_THRESHOLD + 10):
        text = GOOD if i % 50 else GOOD.replace("2026-12-01", "2026-02-30")
        (clients / f"client-{i:04d}.md").write_text(text, encoding="utf-8")
    result = check_json(cli, repo)
    bad = sorted(str(d["path"]) for d in problems(result))
    expected = sorted(
        f"clients/client-{i:04d}.md" for i in range(PARALLEL_THRESHOLD + 10) if i % 50 == 0
    )
    assert bad == expected


def test_duplicate_ids_across_records(cli: Callable[..., Result], repo: Path) -> None:
    clients = repo / "clients"
    (clients / "other.md").write_text(GOOD.replace("---\nname", "---\nid: good\nname", 1), "utf-8")
    result = check_json(cli, repo)
    assert result.exit_code == 1
    dup = [d for d in problems(result) if "duplicate id" in str(d["message"])]
    assert dup == [
        {
            "path": "clients/other.md",
            "line": 2,
            "column": 1,
            "field": "id",
            "message": "duplicate id 'good': also used by clients/good.md",
            "severity": "error",
        }
    ]
    # Checking only the copy still finds the clash with the unchecked original.
    single = check_json(cli, repo, str(clients / "other.md"))
    assert [d["message"] for d in problems(single) if d["field"] == "id"] == [
        "duplicate id 'good': also used by clients/good.md",
        "id 'good' differs from the file name 'other.md'; links and history follow the id",
    ]


def test_owner_not_in_people_is_a_warning(cli: Callable[..., Result], repo: Path) -> None:
    (repo / "clients" / "good.md").write_text(GOOD.replace("owner: me", "owner: mee"), "utf-8")
    result = check_json(cli, repo)
    assert result.exit_code == 0
    (found,) = problems(result)
    assert found["severity"] == "warning"
    assert found["field"] == "owner"
    assert (found["line"], found["column"]) == (4, 8)
    strict = cli("check", "--repo", str(repo), "--strict")
    assert strict.exit_code == 1
    assert "clients/good.md:4:8: warning: owner: 'mee' is not one of the people" in strict.stdout


def test_exit_codes(cli: Callable[..., Result], repo: Path, tmp_path: Path) -> None:
    assert cli("check", "--repo", str(repo)).exit_code == 0
    (repo / "clients" / "bad.md").write_text("no front matter\n", encoding="utf-8")
    assert cli("check", "--repo", str(repo)).exit_code == 1
    assert cli("check", "--repo", str(repo), "--staged", "x.md").exit_code == 2
    assert cli("check", "--repo", str(tmp_path / "nowhere")).exit_code == 2
    assert cli("check", "--no-such-option").exit_code == 2


def test_text_output_and_summary(cli: Callable[..., Result], repo: Path) -> None:
    (repo / "clients" / "bad.md").write_text(GOOD.replace("2026-12-01", "2026-02-30"), "utf-8")
    result = cli("check", "--repo", str(repo))
    assert result.stdout == (
        "clients/bad.md:5:33: error: next_action.due: impossible date 2026-02-30: "
        "day is out of range for month\n"
        "    next_action: {what: Reply, due: 2026-02-30}\n"
        "                                    ^\n"
    )
    assert result.stderr == "2 records checked: 1 error, 0 warnings\n"
    quiet = cli("check", "--repo", str(repo), "-q")
    assert (quiet.exit_code, quiet.stdout) == (1, "")


def test_json_shape(cli: Callable[..., Result], repo: Path) -> None:
    (repo / "clients" / "bad.md").write_text(GOOD.replace("inquiry", "inquiri"), "utf-8")
    result = check_json(cli, repo)
    assert result.exit_code == 1
    (found,) = problems(result)
    assert found == {
        "path": "clients/bad.md",
        "line": 3,
        "column": 8,
        "field": "stage",
        "message": "unknown stage 'inquiri'; expected one of: inquiry, discovery, proposal, "
        "contracted, active, review, completed, paused, lost (did you mean 'inquiry'?)",
        "severity": "error",
    }
    clean = check_json(cli, repo, str(repo / "clients" / "good.md"))
    assert (clean.exit_code, json.loads(clean.stdout)) == (0, [])


def _init_with_hook(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A repository made by 'sortext init', with sortext on PATH for the hook."""
    import subprocess

    root = tmp_path / "practice"
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    subprocess.run(["sortext", "init", str(root)], env=env, check=True, capture_output=True)
    for key, value in (("user.email", "t@sortext.invalid"), ("user.name", "Test")):
        subprocess.run(["git", "config", key, value], cwd=root, check=True)
    return root, env


def test_staged_check_and_pre_commit_hook(tmp_path: Path) -> None:
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root, env = _init_with_hook(tmp_path)

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True)

    record = root / "clients" / "ada.md"
    record.write_text(GOOD, encoding="utf-8")
    assert git("add", "-A").returncode == 0
    assert git("commit", "-m", "valid record").returncode == 0

    record.write_text(GOOD.replace("inquiry", "inquiri"), encoding="utf-8")
    git("add", "clients/ada.md")
    blocked = git("commit", "-m", "broken record")
    assert blocked.returncode != 0
    assert "clients/ada.md:3:8: error: stage: unknown stage 'inquiri'" in blocked.stderr
    assert git("log", "--oneline").stdout.count("\n") == 2  # init commit + valid record

    # --staged checks the index, not the working tree.
    record.write_text(GOOD.replace("Reply", "Reply today"), encoding="utf-8")
    staged = subprocess.run(
        ["sortext", "check", "--staged"], cwd=root, env=env, capture_output=True, text=True
    )
    assert staged.returncode == 1
    assert "unknown stage 'inquiri'" in staged.stdout
    git("add", "clients/ada.md")
    assert git("commit", "-m", "fixed").returncode == 0

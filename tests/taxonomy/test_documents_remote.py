"""Remote document repositories: file:// clones into the cache, reuse, fetch-on-miss, unreachable hosts."""

from __future__ import annotations

import shutil
from pathlib import Path

import git
import pytest
from gitrepo import clone, commit_all, init_repo, write_file

from labgen.errors import DocumentError
from labgen.hashing import sha256_text
from labgen.taxonomy.documents import document_cache_dir, resolve_documents
from labgen.taxonomy.leaf import DocumentRef


@pytest.fixture
def origin(tmp_path: Path) -> tuple[Path, git.Repo, str]:
    """A bare 'remote' at tmp/origin.git, a work clone to push from, and the first commit's sha."""
    upstream = init_repo(tmp_path / "upstream")
    write_file(Path(upstream.working_tree_dir), "doc.md", "version one\n")
    sha = commit_all(upstream, "doc")
    bare = tmp_path / "origin.git"
    clone(Path(upstream.working_tree_dir), bare, bare=True)
    work = clone(bare, tmp_path / "work")
    return bare, work, sha


def test_file_url_is_cloned_once_into_the_cache_and_reused_offline(origin, tmp_path: Path) -> None:
    bare, _, sha = origin
    url = bare.as_uri()
    cache = tmp_path / "cache"
    ref = DocumentRef(repo=url, commit=sha, patterns=("*.md",))
    (document,) = resolve_documents(ref, tmp_path, cache_dir=cache)
    assert (document.path, document.text, document.source) == ("doc.md", "version one\n", f"{url}@{sha}:doc.md")
    clone_dir = cache / sha256_text(url)
    assert sorted(p.name for p in cache.iterdir()) == [clone_dir.name]  # no staging leftovers
    shutil.move(bare, tmp_path / "gone.git")  # the remote disappears: the cache alone must serve
    assert resolve_documents(ref, tmp_path, cache_dir=cache) == [document]


def test_a_commit_missing_from_the_cache_is_fetched_once(origin, tmp_path: Path) -> None:
    bare, work, sha = origin
    url = bare.as_uri()
    cache = tmp_path / "cache"
    resolve_documents(DocumentRef(url, sha, ("doc.md",)), tmp_path, cache_dir=cache)
    write_file(Path(work.working_tree_dir), "doc.md", "version two\n")
    newer = commit_all(work, "second version")
    work.git.push("origin", "main")
    (document,) = resolve_documents(DocumentRef(url, newer, ("doc.md",)), tmp_path, cache_dir=cache)
    assert document.text == "version two\n"
    with pytest.raises(DocumentError, match="not found"):  # still absent after the one fetch
        resolve_documents(DocumentRef(url, "f" * 40, ("doc.md",)), tmp_path, cache_dir=cache)


def test_cache_location_follows_labgen_cache_dir(origin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bare, _, sha = origin
    monkeypatch.setenv("LABGEN_CACHE_DIR", str(tmp_path / "env-cache"))
    assert document_cache_dir() == tmp_path / "env-cache" / "documents"
    assert document_cache_dir(tmp_path / "explicit") == tmp_path / "explicit"
    resolve_documents(DocumentRef(bare.as_uri(), sha, ("doc.md",)), tmp_path)
    assert (tmp_path / "env-cache" / "documents" / sha256_text(bare.as_uri()) / "HEAD").is_file()


def test_unreachable_remote_says_it_could_not_be_fetched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")
    cache = tmp_path / "cache"
    ref = DocumentRef("https://nonexistent.invalid/x.git", "a" * 40, ("*.md",))
    with pytest.raises(DocumentError) as caught:
        resolve_documents(ref, tmp_path, cache_dir=cache, timeout_s=20)
    message = caught.value.render()
    assert "could not be fetched" in message
    assert "local path" in message and "git clone --bare" in message
    assert list(cache.iterdir()) == []  # a failed clone leaves nothing half-written


def test_remote_that_is_not_a_repository_is_a_distinct_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    ref = DocumentRef((tmp_path / "empty").as_uri(), "a" * 40, ("*.md",))
    with pytest.raises(DocumentError) as caught:
        resolve_documents(ref, tmp_path, cache_dir=tmp_path / "cache", timeout_s=20)
    assert "could not be cloned" in caught.value.render()
    assert "could not be fetched" not in caught.value.render()


def test_a_corrupt_cache_entry_is_reported(origin, tmp_path: Path) -> None:
    bare, _, sha = origin
    cache = tmp_path / "cache"
    (cache / sha256_text(bare.as_uri())).mkdir(parents=True)
    with pytest.raises(DocumentError, match="delete that folder"):
        resolve_documents(DocumentRef(bare.as_uri(), sha, ("doc.md",)), tmp_path, cache_dir=cache)


def test_credentials_in_a_url_stay_out_of_messages(tmp_path: Path) -> None:
    ref = DocumentRef("https://user:s3cret@nonexistent.invalid/x.git", "a" * 40, ("*.md",))
    with pytest.raises(DocumentError) as caught:
        resolve_documents(ref, tmp_path, cache_dir=tmp_path / "cache", timeout_s=20)
    assert "s3cret" not in caught.value.render()
    assert "could not be fetched" in caught.value.render()

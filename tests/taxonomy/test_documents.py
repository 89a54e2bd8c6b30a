"""resolve_documents against real local git repositories: paths, pinned commits, globs and every refusal."""

from __future__ import annotations

import fnmatch
import hashlib
import re
import zlib
from pathlib import Path

import git
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from gitrepo import commit_all, init_repo, write_file

from labgen.errors import DocumentError
from labgen.hashing import sha256_text
from labgen.taxonomy.documents import glob_to_regex, resolve_documents
from labgen.taxonomy.leaf import Document, DocumentRef

README = "# Phoenix\n\nThe Phoenix is a constellation.\n"
INTRO = "Intro to the southern sky.\n"
ADVANCED = "Advanced topics.\n"
NOTES = "plain notes\n"


@pytest.fixture
def docs(tmp_path: Path) -> tuple[git.Repo, str]:
    """A document repository and its first commit's sha; later edits live in a second commit and the work tree."""
    repo = init_repo(tmp_path / "docs")
    top = Path(repo.working_tree_dir)
    write_file(top, "README.md", README)
    write_file(top, "guide/intro.md", INTRO)
    write_file(top, "guide/deep/advanced.markdown", ADVANCED)
    write_file(top, "notes.txt", NOTES)
    (top / "paper.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    sha = commit_all(repo, "documents")
    write_file(top, "guide/intro.md", "rewritten intro\n")
    commit_all(repo, "rewrite intro")
    write_file(top, "README.md", "uncommitted edit\n")
    return repo, sha


@pytest.fixture
def taxonomy(tmp_path: Path) -> Path:
    root = tmp_path / "taxonomy"
    root.mkdir()
    return root


def _ref(repo: str, commit: str, *patterns: str) -> DocumentRef:
    return DocumentRef(repo=repo, commit=commit, patterns=tuple(patterns))


def test_local_repo_relative_to_taxonomy_root_reads_the_pinned_commit(docs, taxonomy: Path) -> None:
    _, sha = docs
    documents = resolve_documents(_ref("../docs", sha, "*.md"), taxonomy)
    assert documents == [Document(source=f"../docs@{sha}:README.md", path="README.md", text=README,
                                  sha256=sha256_text(README))]


def test_absolute_path_to_a_subfolder_uses_repository_relative_patterns(docs, taxonomy: Path) -> None:
    repo, sha = docs
    subfolder = str(Path(repo.working_tree_dir) / "guide")
    documents = resolve_documents(_ref(subfolder, sha, "guide/**"), taxonomy)
    assert [(d.path, d.text) for d in documents] == [("guide/deep/advanced.markdown", ADVANCED),
                                                     ("guide/intro.md", INTRO)]
    assert documents[0].source == f"{subfolder}@{sha}:guide/deep/advanced.markdown"


def test_later_commits_and_work_tree_edits_do_not_change_the_data(docs, taxonomy: Path) -> None:
    repo, sha = docs
    pinned = resolve_documents(_ref("../docs", sha, "README.md", "guide/intro.md"), taxonomy)
    assert [d.text for d in pinned] == [README, INTRO]
    head = resolve_documents(_ref("../docs", repo.head.commit.hexsha, "README.md", "guide/intro.md"), taxonomy)
    assert [d.text for d in head] == [README, "rewritten intro\n"]  # the work-tree README edit never counts


def test_double_star_and_character_class_globs(docs, taxonomy: Path) -> None:
    _, sha = docs
    paths = [d.path for d in resolve_documents(_ref("../docs", sha, "**/*.md"), taxonomy)]
    assert paths == ["README.md", "guide/intro.md"]
    paths = [d.path for d in resolve_documents(_ref("../docs", sha, "guide/**/adv?nced.*", "[nN]otes.t[!y]t"),
                                               taxonomy)]
    assert paths == ["guide/deep/advanced.markdown", "notes.txt"]


def test_overlapping_patterns_give_each_document_once(docs, taxonomy: Path) -> None:
    _, sha = docs
    documents = resolve_documents(_ref("../docs", sha, "*.md", "README.md", "./README.md"), taxonomy)
    assert [d.path for d in documents] == ["README.md"]


def test_unique_short_sha_resolves_to_the_full_one(docs, taxonomy: Path) -> None:
    _, sha = docs
    (document,) = resolve_documents(_ref("../docs", sha[:10], "notes.txt"), taxonomy)
    assert document.source == f"../docs@{sha}:notes.txt"


@pytest.mark.parametrize(("glob", "matches", "misses"), [
    ("*.md", ["a.md", ".hidden.md"], ["d/a.md", "a.mdx"]),
    ("**/*.md", ["a.md", "d/a.md", "d/e/a.md"], ["a.txt", "d/a.md/x"]),
    ("d/**", ["d/a", "d/e/f.md"], ["d", "x/d/a"]),
    ("d/**/f.md", ["d/f.md", "d/e/f.md", "d/e/g/f.md"], ["df.md", "d/e/xf.md"]),
    ("?.txt", ["a.txt"], ["ab.txt", "/.txt"]),
    ("[a-c]*.rst", ["a.rst", "cz.rst"], ["d.rst", "A.rst"]),
    ("[!a]*.rst", ["b.rst"], ["a.rst"]),
    ("x[.txt", ["x[.txt"], ["x.txt"]),
    ("a+b(1).md", ["a+b(1).md"], ["aab1.md"]),
])
def test_glob_to_regex(glob: str, matches: list[str], misses: list[str]) -> None:
    regex = glob_to_regex(glob)
    assert [p for p in matches if regex.fullmatch(p)] == matches
    assert [p for p in misses if regex.fullmatch(p)] == []


def test_unknown_commit_is_named_with_a_hint(docs, taxonomy: Path) -> None:
    with pytest.raises(DocumentError) as caught:
        resolve_documents(_ref("../docs", "0123456789abcdef0123456789abcdef01234567", "*.md"), taxonomy)
    assert "0123456789abcdef0123456789abcdef01234567" in caught.value.render()
    assert "git log" in caught.value.render()


@pytest.mark.parametrize(("commit", "words"), [("main", "not a commit sha"), ("abc12", "too short")])
def test_branch_names_and_very_short_shas_are_refused(docs, taxonomy: Path, commit: str, words: str) -> None:
    with pytest.raises(DocumentError, match=words):
        resolve_documents(_ref("../docs", commit, "*.md"), taxonomy)


def _colliding_commits() -> tuple[bytes, bytes, str]:
    """Two commit objects (empty tree) whose shas share their first 7 hex digits."""
    seen: dict[str, bytes] = {}
    for number in range(1_000_000):
        body = (b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
                b"author T <t@t> 0 +0000\ncommitter T <t@t> 0 +0000\n\nmessage %d\n" % number)
        prefix = hashlib.sha1(b"commit %d\0" % len(body) + body).hexdigest()[:7]
        if prefix in seen:
            return seen[prefix], body, prefix
        seen[prefix] = body
    raise AssertionError("no collision found")


def test_ambiguous_short_sha_is_refused(docs, taxonomy: Path) -> None:
    repo, _ = docs
    first, second, prefix = _colliding_commits()
    objects = Path(repo.git_dir) / "objects"
    for body in (b"tree 0\0", *(b"commit %d\0" % len(b) + b for b in (first, second))):
        sha = hashlib.sha1(body).hexdigest()
        (objects / sha[:2]).mkdir(exist_ok=True)
        (objects / sha[:2] / sha[2:]).write_bytes(zlib.compress(body))
    with pytest.raises(DocumentError, match="ambiguous"):
        resolve_documents(_ref("../docs", prefix, "*.md"), taxonomy)


def test_pattern_matching_nothing_names_it_and_lists_files(docs, taxonomy: Path) -> None:
    _, sha = docs
    with pytest.raises(DocumentError) as caught:
        resolve_documents(_ref("../docs", sha, "*.md", "chapters/*.md"), taxonomy)
    message = caught.value.render()
    assert "'chapters/*.md'" in message
    assert "README.md" in message and "guide/intro.md" in message


@pytest.mark.parametrize("pattern", ["../secret.md", "guide/../../x.md", "/etc/passwd", "C:/x.md"])
def test_patterns_that_escape_the_repository_are_refused(taxonomy: Path, pattern: str) -> None:
    with pytest.raises(DocumentError) as caught:  # refused before any repository is opened
        resolve_documents(_ref("../docs", "a" * 40, "*.md", pattern), taxonomy)
    assert pattern in caught.value.render()
    assert "'..'" in caught.value.render() or "absolute" in caught.value.render()


def test_pdf_is_refused_with_the_supported_formats(docs, taxonomy: Path) -> None:
    _, sha = docs
    with pytest.raises(DocumentError) as caught:
        resolve_documents(_ref("../docs", sha, "*"), taxonomy)
    message = caught.value.render()
    assert "paper.pdf" in message and "'.pdf'" in message
    assert ".md" in message and ".txt" in message and ".rst" in message


def test_non_utf8_and_oversized_documents_are_refused(tmp_path: Path, taxonomy: Path) -> None:
    repo = init_repo(tmp_path / "docs")
    (Path(repo.working_tree_dir) / "latin1.txt").write_bytes("caf\u00e9\n".encode("latin-1"))
    write_file(Path(repo.working_tree_dir), "big.md", "x" * 2048)
    sha = commit_all(repo, "docs")
    with pytest.raises(DocumentError, match="latin1.txt is not UTF-8"):
        resolve_documents(_ref("../docs", sha, "latin1.txt"), taxonomy)
    with pytest.raises(DocumentError, match="over the 1024-byte cap"):
        resolve_documents(_ref("../docs", sha, "big.md"), taxonomy, max_bytes=1024)
    assert len(resolve_documents(_ref("../docs", sha, "big.md"), taxonomy)[0].text) == 2048


def test_missing_folder_and_folder_outside_git_are_clear_errors(tmp_path: Path, taxonomy: Path) -> None:
    with pytest.raises(DocumentError, match="neither a remote URL"):
        resolve_documents(_ref("../nowhere", "a" * 40, "*.md"), taxonomy)
    write_file(tmp_path / "plain", "a.md", "text\n")
    with pytest.raises(DocumentError, match="not inside a git repository"):
        resolve_documents(_ref(str(tmp_path / "plain"), "a" * 40, "*.md"), taxonomy)


def test_no_patterns_is_an_error(docs, taxonomy: Path) -> None:
    _, sha = docs
    with pytest.raises(DocumentError, match="no patterns"):
        resolve_documents(_ref("../docs", sha), taxonomy)


def test_empty_repo_and_a_yaml_number_as_commit_are_handled(docs, taxonomy: Path) -> None:
    _, sha = docs
    with pytest.raises(DocumentError, match="document.repo is empty"):
        resolve_documents(_ref("  ", sha, "*.md"), taxonomy)
    number_ref = DocumentRef(repo="../docs", commit=1234567, patterns=("*.md",))  # type: ignore[arg-type]
    with pytest.raises(DocumentError, match="1234567"):
        resolve_documents(number_ref, taxonomy)


def test_an_invalid_character_range_is_a_document_error(taxonomy: Path) -> None:
    with pytest.raises(DocumentError, match="not a valid glob"):
        resolve_documents(_ref("../docs", "a" * 40, "docs/[z-a].md"), taxonomy)


@settings(max_examples=300, deadline=None)
@given(st.text("ab.*?[]!-", max_size=8), st.text("ab.-]!", min_size=1, max_size=6))
def test_within_one_segment_globs_agree_with_fnmatch(pattern: str, name: str) -> None:
    try:
        regex = glob_to_regex(pattern)
    except re.error:
        return  # reversed ranges: refused by resolve_documents (test above)
    assert bool(regex.fullmatch(name)) == fnmatch.fnmatchcase(name, pattern)

"""Resolve a knowledge leaf's `document` (repo, commit, patterns) into the text of its source files.

`repo` is a remote URL, cloned once into a cache, or (labgen's extension) a local path to a folder
inside a git repository. Files are always read at the pinned commit from the git object store, so an
edited working copy never changes the data.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from labgen.errors import DocumentError
from labgen.hashing import sha256_bytes, sha256_text
from labgen.taxonomy.diff import git_error_detail
from labgen.taxonomy.leaf import Document, DocumentRef

if TYPE_CHECKING:
    import git

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".text", ".rst")
SUPPORTED_DESCRIPTION = "Markdown (.md, .markdown), plain text (.txt, .text) and reStructuredText (.rst)"
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_GIT_TIMEOUT_S = 300.0
REMOTE_PREFIXES = ("https://", "http://", "ssh://", "git://", "file://", "git@")
_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:")
_SYMLINK_MODE = 0o120000
_NETWORK_SIGNS = (
    "could not resolve host", "could not resolve hostname", "temporary failure in name resolution",
    "name or service not known", "connection refused", "network is unreachable", "no route to host",
    "connection timed out", "timed out", "timeout", "failed to connect", "couldn't connect",
    "connection reset", "unable to look up",
)


def resolve_documents(ref: DocumentRef, taxonomy_root: Path, *, cache_dir: Path | None = None,
                      max_bytes: int = DEFAULT_MAX_BYTES, timeout_s: float | None = None) -> list[Document]:
    """The documents `ref` points at, read at its pinned commit, sorted by path and deduplicated.

    Raises DocumentError on any failure. `cache_dir` holds remote clones (default: see `document_cache_dir`);
    `timeout_s` bounds each clone or fetch (default: env LABGEN_GIT_TIMEOUT or 300 s).
    """
    import git

    if not str(ref.repo).strip():
        raise DocumentError("document.repo is empty",
                            hint="give a git URL, or a path to a local git repository relative to the taxonomy root")
    patterns = [_checked_pattern(pattern, ref) for pattern in ref.patterns]
    if not patterns:
        raise DocumentError(f"document of {_display(ref.repo)!r} lists no patterns",
                            hint="add the files to read under document.patterns, e.g. ['*.md']")
    try:
        if is_remote(ref.repo):
            repo = _cached_clone(ref.repo, document_cache_dir(cache_dir), _timeout(timeout_s))
        else:
            repo = _local_repo(ref.repo, Path(taxonomy_root))
        try:
            commit = _find_commit(repo, ref)
            if commit is None and is_remote(ref.repo):
                _fetch(repo, ref.repo, str(ref.commit), _timeout(timeout_s))
                commit = _find_commit(repo, ref)
            if commit is None:
                shallow = (Path(repo.git_dir) / "shallow").exists()
                raise DocumentError(f"commit {ref.commit} not found in document repository {_display(ref.repo)}",
                                    hint="the repository is a shallow clone: fetch its full history (`git fetch "
                                         "--unshallow`; in GitHub Actions, actions/checkout with fetch-depth: 0)"
                                    if shallow else "check the sha with `git log` in that repository; it must be a "
                                                    "commit that exists there (pushed, for a remote)")
            return _read_documents(repo.commit(commit), ref, commit, patterns, max_bytes)
        finally:
            repo.close()
    except git.GitError as error:  # any gitpython failure not turned into a DocumentError above
        raise DocumentError(f"git failed while reading documents from {_display(ref.repo)}: "
                            f"{git_error_detail(error)}",
                            hint="check the repository with `git log` and `git fsck`") from error
    except OSError as error:  # the cache folder cannot be created or written, a file vanished
        raise DocumentError(f"cannot read documents of {_display(ref.repo)}: {error}",
                            hint="check the permissions of the folders involved, or set LABGEN_CACHE_DIR") from error


def is_remote(repo: str) -> bool:
    """True for URLs labgen clones (https, ssh, git, file, scp-like git@host:path); False for local paths."""
    return repo.startswith(REMOTE_PREFIXES) or bool(_SCP_LIKE.match(repo))


def document_cache_dir(cache_dir: Path | None = None) -> Path:
    """Where remote document repositories are cloned: cache_dir, else $LABGEN_CACHE_DIR/documents,
    else $XDG_CACHE_HOME/labgen/documents, else ~/.cache/labgen/documents."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    if os.environ.get("LABGEN_CACHE_DIR"):
        return Path(os.environ["LABGEN_CACHE_DIR"]).expanduser() / "documents"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "labgen" / "documents"


def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """A regex matching whole posix paths: `*`, `?` and `[...]` stay within one segment; `**` spans segments."""
    segments = pattern.split("/")
    regex = ""
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            regex += ".+" if last else "(?:[^/]+/)*"
        else:
            regex += _segment_regex(segment) + ("" if last else "/")
    return re.compile(regex)


def _class_body(body: str) -> str:
    """The inside of a regex class for a glob's `[...]` body (negation taken off), as fnmatch reads it: a
    "-" between two characters is a range, any other "-" a literal, written "\\-" (so the regex never holds
    "--", which Python warns may become a set difference); a reversed range raises re.error."""
    if not body:
        return ""
    chunks: list[str] = []
    start, at = 0, 1
    while (at := body.find("-", at)) >= 0:
        chunks.append(body[start:at])
        start, at = at + 1, at + 3
    if body[start:]:
        chunks.append(body[start:])
    else:
        chunks[-1] += "-"
    for before, after in zip(chunks, chunks[1:]):
        if before[-1] > after[0]:  # fnmatch drops it; a document glob that can match nothing is an error
            raise re.error(f"bad character range {before[-1]}-{after[0]}")
    return "-".join("".join("\\-" if c == "-" else re.escape(c) for c in chunk) for chunk in chunks)


def _segment_regex(segment: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(segment):
        char = segment[index]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = index + 1
            if end < len(segment) and segment[end] in "!^":
                end += 1
            if end < len(segment) and segment[end] == "]":
                end += 1
            end = segment.find("]", end)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = segment[index + 1:end]
                negate = body[:1] in ("!", "^")
                body = body[1:] if negate else body
                escaped = _class_body(body)
                out.append(f"[^/{escaped}]" if negate else f"[{escaped}]")
                index = end
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)


def _checked_pattern(pattern: str, ref: DocumentRef) -> str:
    """A pattern relative to the repository top, refusing ones that could escape it."""
    text = str(pattern).strip()
    if not text:
        raise DocumentError(f"document of {_display(ref.repo)!r} has an empty pattern",
                            hint="remove it or name files, e.g. '*.md'")
    if text.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", text):
        raise DocumentError(f"document pattern {pattern!r} is absolute; patterns are relative to the top of the "
                            f"document repository", hint="drop the leading '/' (e.g. 'docs/*.md')")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if ".." in parts or any(".." in part.split("\\") for part in parts):
        raise DocumentError(f"document pattern {pattern!r} tries to leave the document repository with '..'",
                            hint="patterns name files inside the repository, relative to its top folder")
    checked = "/".join(parts)
    try:
        glob_to_regex(checked)
    except re.error as error:
        raise DocumentError(f"document pattern {pattern!r} is not a valid glob: {error}",
                            hint="check its [...] classes (a range such as [a-z] must go upwards)") from None
    return checked


def _local_repo(repo_path: str, taxonomy_root: Path) -> git.Repo:
    import git

    folder = Path(repo_path).expanduser()
    if not folder.is_absolute():
        folder = taxonomy_root / folder
    if not folder.is_dir():
        raise DocumentError(f"document repo {repo_path!r} is neither a remote URL ({', '.join(REMOTE_PREFIXES)}) "
                            f"nor an existing folder (looked at {folder})",
                            hint="fix the path (a relative path is resolved against the taxonomy root) or use a URL")
    try:
        return git.Repo(folder, search_parent_directories=True)
    except git.InvalidGitRepositoryError:
        raise DocumentError(f"document repo {folder} is not inside a git repository",
                            hint="run `git init` there, commit the documents and pin that commit in qna.yaml") from None


def _cached_clone(url: str, cache_root: Path, timeout_s: float) -> git.Repo:
    """Open the cached clone of `url`, cloning it (bare, atomically) on first use."""
    import git

    destination = cache_root / sha256_text(url)
    if destination.exists():
        try:
            return git.Repo(destination)
        except git.GitError:
            raise DocumentError(f"the document cache {destination} (for {url}) is not a git repository",
                                hint="delete that folder so labgen clones again") from None
    cache_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".clone-", dir=cache_root))
    try:
        git.Git().clone("--bare", "--quiet", "--", url, str(staging / "repo"),
                        env=_git_env(), kill_after_timeout=timeout_s)
        try:
            os.rename(staging / "repo", destination)
        except OSError:
            if not destination.exists():  # another process did not win the race: a real failure
                raise
    except git.GitCommandError as error:
        raise _fetch_error(url, destination, error, "cloned") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return git.Repo(destination)


def _fetch(repo: git.Repo, url: str, commit: str, timeout_s: float) -> None:
    """Fetch branches and tags once (and the commit itself when it is a full sha) into the cached clone."""
    import git

    destination = Path(repo.git_dir)
    refspecs = ["+refs/heads/*:refs/labgen/heads/*", "+refs/tags/*:refs/labgen/tags/*"]
    try:
        repo.git.fetch("--quiet", "--", url, *refspecs, env=_git_env(), kill_after_timeout=timeout_s)
        if re.fullmatch(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}", commit.strip()):
            try:
                repo.git.fetch("--quiet", "--", url, commit.strip(), env=_git_env(), kill_after_timeout=timeout_s)
            except git.GitCommandError:
                pass  # servers may refuse fetching a sha; "commit not found" follows with the fix
    except git.GitCommandError as error:
        raise _fetch_error(url, destination, error, "updated") from None


def _display(url: str) -> str:
    """The URL without a password or token, for messages."""
    return re.sub(r"//[^/@]*@", "//***@", url)


def _fetch_error(url: str, destination: Path, error: git.GitCommandError, action: str) -> DocumentError:
    detail = git_error_detail(error).replace(url, _display(url))
    url = _display(url)
    hint = (f"use a local path to a git repository as document.repo (labgen's extension), or pre-populate the "
            f"cache with `git clone --bare {url} {destination}`")
    if any(sign in str(error).lower() for sign in _NETWORK_SIGNS):
        return DocumentError(f"document repository {url} could not be fetched (network): {detail}", hint=hint)
    return DocumentError(f"document repository {url} could not be {action}: {detail}",
                         hint="check the URL and your access to it; or " + hint)


def _find_commit(repo: git.Repo, ref: DocumentRef) -> str | None:
    """The full sha of the pinned commit; None when absent. Refuses non-shas, too-short and ambiguous shas."""
    import git

    sha = str(ref.commit).strip().lower()
    if not re.fullmatch(r"[0-9a-f]{4,64}", sha):
        raise DocumentError(f"document commit {ref.commit!r} of {_display(ref.repo)} is not a commit sha",
                            hint="pin a commit, not a branch or tag: `git rev-parse <ref>` in that repository")
    if len(sha) < 7:
        raise DocumentError(f"document commit {ref.commit!r} of {_display(ref.repo)} is too short to be unambiguous",
                            hint="pin the full 40-character sha: `git rev-parse <short sha>`")
    candidates = str(repo.git.rev_parse(f"--disambiguate={sha}")).split()
    commits = []
    for candidate in candidates:
        try:
            if repo.git.cat_file("-t", candidate).strip() == "commit":
                commits.append(candidate)
        except git.GitCommandError:
            continue
    if len(commits) > 1:
        raise DocumentError(f"document commit {ref.commit!r} of {_display(ref.repo)} is ambiguous: it starts "
                            f"{len(commits)} commits ({', '.join(c[:12] for c in commits[:4])})",
                            hint="pin the full 40-character sha")
    if not commits and candidates:
        raise DocumentError(f"document commit {ref.commit!r} of {_display(ref.repo)} names a git object that "
                            f"is not a commit",
                            hint="pin a commit sha from `git log`")
    return commits[0] if commits else None


def _read_documents(commit: git.Commit, ref: DocumentRef, sha: str, patterns: list[str],
                    max_bytes: int) -> list[Document]:
    blobs = {item.path: item for item in commit.tree.traverse() if getattr(item, "type", None) == "blob"}
    chosen: dict[str, git.Blob] = {}
    for pattern in patterns:
        regex = glob_to_regex(pattern)
        matched = [path for path in blobs if regex.fullmatch(path)]
        if not matched:
            raise DocumentError(f"document pattern {pattern!r} matches no file in {_display(ref.repo)} at {sha[:12]}",
                                hint=f"files there include {_sample_files(blobs)}")
        for path in matched:
            chosen[path] = blobs[path]
    documents = []
    for path in sorted(chosen):
        documents.append(_read_blob(chosen[path], ref, sha, max_bytes))
    return documents


def _read_blob(blob: git.Blob, ref: DocumentRef, sha: str, max_bytes: int) -> Document:
    path = str(blob.path)
    where = f"{_display(ref.repo)}@{sha[:12]}:{path}"
    suffix = PurePosixPath(path).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        reason = " (PDFs and office files need converting to text first, e.g. to Markdown)" \
            if suffix in (".pdf", ".doc", ".docx", ".odt", ".pptx", ".html", ".htm") else ""
        raise DocumentError(f"document {where} has an unsupported format '{suffix or 'no extension'}'{reason}",
                            hint=f"labgen reads {SUPPORTED_DESCRIPTION}; narrow document.patterns to such files")
    if blob.mode == _SYMLINK_MODE:
        raise DocumentError(f"document {where} is a symbolic link", hint="commit the file itself, not a link")
    if blob.size > max_bytes:
        raise DocumentError(f"document {where} is {blob.size} bytes, over the {max_bytes}-byte cap",
                            hint="split the document into smaller files")
    data = blob.data_stream.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DocumentError(f"document {where} is not UTF-8 (byte {error.start} is {data[error.start]:#04x})",
                            hint="re-encode it as UTF-8, e.g. `iconv -f latin1 -t utf-8`, and commit") from None
    return Document(source=f"{ref.repo}@{sha}:{path}", path=path, text=text.removeprefix("\ufeff"),
                    sha256=sha256_bytes(data))


def _sample_files(blobs: dict[str, object], limit: int = 8) -> str:
    paths = sorted(blobs, key=lambda p: (PurePosixPath(p).suffix.lower() not in SUPPORTED_SUFFIXES, p))
    if not paths:
        return "nothing (the commit is empty)"
    shown = ", ".join(paths[:limit])
    return shown + (f", ... ({len(paths)} files)" if len(paths) > limit else "")


def _timeout(timeout_s: float | None) -> float:
    if timeout_s is not None:
        return timeout_s
    try:
        return float(os.environ.get("LABGEN_GIT_TIMEOUT", DEFAULT_GIT_TIMEOUT_S))
    except ValueError:
        return DEFAULT_GIT_TIMEOUT_S


def _git_env() -> dict[str, str]:
    """Never prompt for credentials, and give ssh a bounded connect time."""
    env = {"GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never"}
    if "GIT_SSH_COMMAND" not in os.environ:
        env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes -o ConnectTimeout=30"
    return env

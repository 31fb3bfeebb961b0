"""Package tunewise as a Hugging Face Space and deploy it.

    tunewise space build OUT [--hardware H] [--title T]      -> a deployable Space folder
    tunewise space deploy REPO_ID [--private] [--dry-run]   -> create the Space and upload that folder

The folder holds the project's packages (``assistant/``, ``catalog/``, ``finetune/``), the bundled
``examples/``, the Space's ``app.py`` (from ``spaces/``) with the project's own entry point beside it as
``tunewise_app.py``, a README whose front matter the Hub reads, and a pinned ``requirements.txt``. Only
source and data files are copied (an allow-list of suffixes), never caches, virtualenvs, tests, logs,
dot-files or workspace data, and the finished folder is scanned for the tokens in this environment
before anything is written or uploaded. The token is only ever passed to ``huggingface_hub``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from assistant.space.files import (
    DEFAULT_HARDWARE,
    DEFAULT_TITLE,
    ROOT,
    TEMPLATE_DIR,
    check_hardware,
    check_title,
    readme_text,
    requirements_text,
    space_hardware_names,
)
from catalog.errors import PathError, TunewiseError

log = logging.getLogger(__name__)

#: Folders of the repo copied into the Space, and the file types taken from them.
PACKAGES = ("assistant", "catalog", "finetune", "examples")
SOURCE_SUFFIXES = {".py", ".yaml", ".yml", ".json", ".jsonl", ".csv", ".tsv", ".md", ".txt", ".parquet", ".conll"}
#: Name parts that never leave the machine, whatever their suffix: dot-files (.env, .cache), caches, logs, keys.
SKIP_NAMES = re.compile(r"(^\.|^__pycache__$|\.pyc$|\.log$|\.pem$|\.key$)", re.I)
#: Variables whose values must not appear in any file of the folder.
SECRET_VARIABLES = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACE_HUB_TOKEN", "OPENAI_API_KEY",
                    "TUNEWISE_LLM_API_KEY")
#: A Hugging Face user access token, wherever it came from.
HF_TOKEN_PATTERN = re.compile(rb"\bhf_[A-Za-z0-9]{30,}\b")


class SpaceError(TunewiseError):
    """The Space folder cannot be built or would leak a secret."""


def build_space(out: str | os.PathLike[str], *, hardware: str = DEFAULT_HARDWARE,
                title: str = DEFAULT_TITLE) -> Path:
    """Assemble a deployable Space folder.

    Args:
        out: The folder to write, new or empty: the command-line user's path (relative to the current folder).
        hardware: The suggested Space hardware (a ``huggingface_hub.SpaceHardware`` value).
        title: The Space's title.

    Returns:
        The folder written.

    Raises:
        ConfigError: For an unknown hardware or an unusable title.
        PathError: When ``out`` is inside the source tree, or not empty.
        SpaceError: When a file would carry a secret.
    """
    from finetune.workspace import user_path

    hardware, title = check_hardware(hardware), check_title(title)
    target = user_path(out, must_exist=False)
    for package in PACKAGES:
        if target == ROOT / package or (ROOT / package) in target.parents:
            raise PathError(f"{target} is inside the project's {package}/ folder; build the Space in another "
                            "folder, e.g. `tunewise space build space`.")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise PathError(f"{target.name} already exists and is not an empty folder; give a new folder, e.g. "
                        f"`tunewise space build {target.name}-2`.")
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        assemble(tmp, hardware=hardware, title=title)
        if target.exists():
            target.rmdir()
        tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("Built the Space folder %s (%s)", target, hardware)
    return target


def assemble(folder: Path, *, hardware: str, title: str, source: Path = ROOT) -> list[dict[str, Any]]:
    """Write the Space's files into ``folder`` (created) and check them for secrets.

    Args:
        folder: A folder that does not exist yet.
        hardware: A valid Space hardware name.
        title: A valid title.
        source: The project tree to copy the packages and ``app.py`` from (templates always come from
            this installation's ``spaces/``).

    Returns:
        The files written, as :func:`list_files` gives them.

    Raises:
        SpaceError: When a file would carry a secret.
    """
    folder.mkdir(parents=True)
    for package in PACKAGES:
        _copy_tree(source / package, folder / package)
    shutil.copy2(source / "app.py", folder / "tunewise_app.py")
    shutil.copy2(TEMPLATE_DIR / "app.py", folder / "app.py")
    (folder / "README.md").write_text(readme_text(hardware, title), encoding="utf-8")
    (folder / "requirements.txt").write_text(requirements_text(hardware), encoding="utf-8")
    check_no_secrets(folder)
    return list_files(folder)


def _copy_tree(src: Path, dest: Path) -> None:
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if any(SKIP_NAMES.search(part) for part in rel.parts) or path.is_symlink():
            continue
        if path.is_file() and path.suffix.lower() in SOURCE_SUFFIXES:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest / rel)


def list_files(folder: Path) -> list[dict[str, Any]]:
    """The files ``HfApi.upload_folder`` sends from ``folder``, as ``{"path", "bytes"}`` (sorted POSIX paths).

    The same selection as ``upload_folder``: every file, less huggingface_hub's default ignore patterns.
    """
    from huggingface_hub.utils import DEFAULT_IGNORE_PATTERNS, filter_repo_objects

    files = {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}
    kept = filter_repo_objects(list(files), ignore_patterns=list(DEFAULT_IGNORE_PATTERNS))
    return [{"path": rel, "bytes": files[rel].stat().st_size} for rel in kept]


def _secrets() -> list[str]:
    values = [os.environ.get(name, "") for name in SECRET_VARIABLES]
    try:
        from huggingface_hub import get_token

        values.append(get_token() or "")
    except Exception:  # noqa: BLE001 - a broken saved login only means there is nothing more to look for
        pass
    return sorted({v for v in values if len(v) >= 8})


def check_no_secrets(folder: Path) -> None:
    """Refuse a folder in which a token of this environment, or any Hugging Face token, appears.

    Raises:
        SpaceError: Naming the file (never the secret).
    """
    secrets = [s.encode() for s in _secrets()]
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if any(s in data for s in secrets) or HF_TOKEN_PATTERN.search(data):
            raise SpaceError(f"{path.relative_to(folder).as_posix()} contains an access token; remove it from the "
                             "file (keep tokens in environment variables or Space secrets) and build again.")


def _check_built(folder: Path) -> None:
    from huggingface_hub import metadata_load

    meta = metadata_load(folder / "README.md") if (folder / "README.md").is_file() else None
    if not meta or meta.get("sdk") != "gradio" or not (folder / meta.get("app_file", "app.py")).is_file():
        raise PathError(f"{folder.name} is not a Space folder made by `tunewise space build` (no README.md with "
                        "`sdk: gradio` and its app file); build one first or leave out --from.")
    check_no_secrets(folder)


def deploy_space(repo_id: str, *, source: str | None = None, private: bool = False, dry_run: bool = False,
                 hardware: str = DEFAULT_HARDWARE, title: str = DEFAULT_TITLE,
                 token: str | None = None) -> dict[str, Any]:
    """Create the Space ``repo_id`` (if missing) and upload a Space folder to it.

    Args:
        repo_id: ``namespace/name`` of the Space.
        source: A folder made by :func:`build_space`; None builds a fresh one in a
            temporary folder with ``hardware`` and ``title``.
        private: Create the Space private (an existing Space keeps its visibility).
        dry_run: Build and list exactly the files that would be uploaded; no token, no network.
        hardware: Suggested hardware of a fresh build.
        title: Title of a fresh build.
        token: A token with write access; default ``HF_TOKEN`` or the saved ``hf auth login`` token.

    Returns:
        ``{"repo_id", "private", "dry_run", "hardware", "files": [{"path", "bytes"}], "url"}`` plus ``"commit"``
        after a real upload.

    Raises:
        ConfigError: For an invalid repo id, hardware or title.
        PathError: When ``source`` is not a Space folder.
        SpaceError: When a file would carry a secret.
        HubError: Without a token, offline, or when the Hub refuses the upload.
    """
    from finetune.export.hub import check_repo_id, require_hub, resolve_token, upload_folder_to_hub
    from finetune.workspace import user_path

    repo_id = check_repo_id(repo_id, kind="space")
    hardware, title = check_hardware(hardware), check_title(title)
    with tempfile.TemporaryDirectory(prefix="tunewise-space-") as tmp:
        if source is not None:
            folder = user_path(source)
            _check_built(folder)
            from huggingface_hub import metadata_load

            hardware = str((metadata_load(folder / "README.md") or {}).get("suggested_hardware", hardware))
        else:
            folder = Path(tmp) / "space"
            assemble(folder, hardware=hardware, title=title)
        result: dict[str, Any] = {"repo_id": repo_id, "private": private, "dry_run": dry_run, "hardware": hardware,
                                  "files": list_files(folder), "url": f"https://huggingface.co/spaces/{repo_id}"}
        if dry_run:
            return result
        token = resolve_token(token)
        require_hub()
        log.info("Uploading %d files to the Space %s", len(result["files"]), repo_id)
        uploaded = upload_folder_to_hub(folder, repo_id, token=token, private=private, repo_type="space",
                                        space_sdk="gradio", message="Deploy tunewise with `tunewise space deploy`")
    result["commit"] = uploaded["commit"]
    return result


# -- command line ---------------------------------------------------------------------------------------
def add_space_parser(sub: Any) -> argparse.ArgumentParser:
    """Add ``tunewise space build|deploy`` to the CLI's sub-parsers (``build_parser``'s ``sub``)."""
    hw_help = f"suggested Space hardware (default {DEFAULT_HARDWARE}): {', '.join(space_hardware_names())}"
    space = sub.add_parser("space", help="build a Hugging Face Space folder of this app, or deploy it")
    actions = space.add_subparsers(dest="space_command", metavar="ACTION", required=True)
    build = actions.add_parser("build", help="assemble a deployable Space folder (app, packages, README, "
                               "requirements)")
    build.add_argument("out", help="folder to write (new or empty)")
    build.add_argument("--hardware", default=DEFAULT_HARDWARE, help=hw_help)
    build.add_argument("--title", default=DEFAULT_TITLE, help=f"the Space's title (default {DEFAULT_TITLE})")
    build.add_argument("--json", action="store_true", help="print the folder and its files as JSON")
    deploy = actions.add_parser("deploy", help="create the Space and upload the app (token: HF_TOKEN or "
                                "`hf auth login`)")
    deploy.add_argument("repo_id", help="namespace/name of the Space (created if missing)")
    deploy.add_argument("--private", action="store_true", help="create the Space private (default: public)")
    deploy.add_argument("--dry-run", action="store_true", help="list exactly what would be uploaded; no token, "
                        "no network")
    deploy.add_argument("--from", dest="source", metavar="FOLDER",
                        help="upload this folder made by `tunewise space build` (default: build a fresh one)")
    deploy.add_argument("--hardware", default=DEFAULT_HARDWARE, help=hw_help)
    deploy.add_argument("--title", default=DEFAULT_TITLE, help=f"the Space's title (default {DEFAULT_TITLE})")
    deploy.add_argument("--json", action="store_true", help="print the result as JSON")
    return space


def cmd_space(args: argparse.Namespace) -> int:
    """Run ``tunewise space build`` or ``tunewise space deploy``; user errors raise ``TunewiseError``."""
    if args.space_command == "build":
        folder = build_space(args.out, hardware=args.hardware, title=args.title)
        files = list_files(folder)
        if args.json:
            print(json.dumps({"folder": str(folder), "files": files}, indent=2))
            return 0
        print(f"built a Space folder of {len(files)} files ({sum(f['bytes'] for f in files):,} bytes); deploy it "
              f"with `tunewise space deploy USER/NAME --from {folder}`", file=sys.stderr)
        print(folder)
        return 0
    result = deploy_space(args.repo_id, source=args.source, private=args.private, dry_run=args.dry_run,
                          hardware=args.hardware, title=args.title)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    verb = "would upload" if args.dry_run else "uploaded"
    print(f"{verb} to the Space {result['repo_id']} ({'private' if result['private'] else 'public'}, "
          f"{result['hardware']}):")
    for f in result["files"]:
        print(f"  {f['path']:<48} {f['bytes']:>10,} bytes")
    print(result["url"])
    return 0


__all__ = ["SpaceError", "add_space_parser", "assemble", "build_space", "check_no_secrets", "cmd_space",
           "deploy_space", "list_files"]

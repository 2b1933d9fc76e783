"""Cache of heavy artefacts (trained models, attack results, masks), keyed by their config.

An artefact is stored under ``<artefact dir>/<kind>/<hash of config>.pt`` with a JSON sidecar that
holds the config and the run record. Writes are atomic (a temporary file in the same folder, then
``os.replace``), so an interrupted run never leaves a half-written file that a later run would
trust. Re-running with the same config reuses the file; ``recompute=True`` rebuilds it.

Folders: ``$IBBOOK_CACHE`` (default ``~/.cache/ibbook``) holds ``data/`` (decoded datasets) and
``artifacts/``; ``$IBBOOK_ARTIFACTS`` moves the artefacts alone (the test command points it at a
fresh folder so that CI computes every chapter from scratch).

Used by: :mod:`ibbook.data` (decoded arrays) and every chapter that trains or attacks.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping

import torch


def cache_root() -> Path:
    """``$IBBOOK_CACHE`` or ``$XDG_CACHE_HOME/ibbook`` or ``~/.cache/ibbook``."""
    env = os.environ.get("IBBOOK_CACHE")
    if env:
        return Path(env).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")).expanduser() / "ibbook"


def artifacts_dir() -> Path:
    """Where cached artefacts live: ``$IBBOOK_ARTIFACTS`` or ``<cache root>/artifacts``."""
    env = os.environ.get("IBBOOK_ARTIFACTS")
    return Path(env).expanduser() if env else cache_root() / "artifacts"


def config_hash(config: Mapping[str, Any]) -> str:
    """A short, stable hash of a JSON-serialisable config (key order does not matter)."""
    try:
        text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    except TypeError as err:
        raise TypeError(f"cache config must be JSON-serialisable (str, numbers, lists, dicts): {err}") from None
    return hashlib.sha256(text.encode()).hexdigest()[:16]


_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write(path: str | os.PathLike, write: Callable[[str], None]) -> Path:
    """Call ``write(tmp)`` on a temporary path beside ``path``, then move it into place atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes the file private; give it the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_save(obj: Any, path: str | os.PathLike) -> Path:
    """``torch.save`` to ``path`` atomically: readers see the old file or the new one, never half."""
    return atomic_write(Path(path), lambda tmp: torch.save(obj, tmp))


def atomic_write_text(text: str, path: str | os.PathLike) -> Path:
    """Write a text file atomically."""
    return atomic_write(Path(path), lambda tmp: Path(tmp).write_text(text))


def artifact_path(kind: str, config: Mapping[str, Any]) -> Path:
    """Path of the artefact of ``kind`` (e.g. ``"model"``) for ``config``."""
    if not kind or "/" in kind or kind.startswith("."):
        raise ValueError(f"artefact kind {kind!r} is not accepted; use a plain folder name such as 'model'")
    return artifacts_dir() / kind / f"{config_hash(config)}.pt"


def cached(kind: str, config: Mapping[str, Any], compute: Callable[[], Any], *, recompute: bool = False,
           record: Mapping[str, Any] | None = None) -> Any:
    """Return the artefact for ``config``, computing and storing it on a miss.

    ``compute()`` must return something ``torch.save`` can store (tensors, state dicts, dicts).
    ``record`` (e.g. a run record) is written beside it in ``<hash>.json`` together with the config.
    """
    path = artifact_path(kind, config)
    if path.exists() and not recompute:
        return torch.load(path, map_location="cpu", weights_only=False)
    value = compute()
    atomic_save(value, path)
    meta = {"kind": kind, "config": dict(config), "record": dict(record or {})}
    atomic_write_text(json.dumps(meta, indent=2, sort_keys=True, default=str), path.with_suffix(".json"))
    return value

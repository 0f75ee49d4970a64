"""Folder datasets: clean images (noise added later, in batches), paired folders, Rain13k.

Pairs are matched by file name — the path relative to each folder, up to the extension — never
by position in a sorted list; a file without its partner is an error naming that file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import Any

from restorekit.data.base import FileDataset, FileItem
from restorekit.errors import RestoreKitError
from restorekit.io import list_images

PathArg = str | PathLike[str]


def read_split(split_file: PathArg, split: str | None) -> list[str]:
    """The file names listed for ``split`` in ``split_file``.

    A ``.json`` file holds ``{"train": [...], "test": [...], ...}`` (``split`` picks the list)
    or a bare list; any other file lists one name per line (blank lines and ``#`` comments are
    skipped). ``split`` must be given exactly when the file holds several lists.
    """
    path = Path(split_file)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise RestoreKitError(f"cannot read the split file ({err.strerror})", path) from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise RestoreKitError(f"not valid JSON ({err.msg}, line {err.lineno})", path) from None
    else:
        data = [
            s.strip() for s in text.splitlines() if s.strip() and not s.lstrip().startswith("#")
        ]
    if isinstance(data, dict):
        lists = sorted(k for k, v in data.items() if isinstance(v, list))
        if split is None:
            raise RestoreKitError(
                f"the split file has several lists; choose a split: {lists}", path
            )
        if split not in lists:
            raise RestoreKitError(f"no split '{split}' in the split file; it has {lists}", path)
        data = data[split]
    elif split is not None:
        raise RestoreKitError(f"split '{split}' given but the split file is a single list", path)
    if not isinstance(data, list) or not all(isinstance(s, str) for s in data):
        raise RestoreKitError("a split must be a list of file names", path)
    if len(set(data)) != len(data):
        raise RestoreKitError(f"split '{split}' lists a name twice", path)
    return data


def _key(relative: str) -> str:
    """The pairing key of a relative path: the path without its extension."""
    return relative.rsplit(".", 1)[0] if "." in relative.rsplit("/", 1)[-1] else relative


def _name_under(path: Path, root: Path) -> str:
    """How a split names ``path``: relative to the folder ``root``, or the bare name when
    ``root`` is a file or a glob."""
    return path.relative_to(root).as_posix() if root.is_dir() else path.name


def _index_folder(folder: Path) -> dict[str, Path]:
    """Map the pairing key of every image under ``folder`` to its path."""
    if not folder.is_dir():
        raise RestoreKitError("not a folder", folder)
    index: dict[str, Path] = {}
    for path in list_images(folder):
        key = _key(path.relative_to(folder).as_posix())
        if key in index:
            raise RestoreKitError(f"two images share the name '{key}' ({index[key].name})", path)
        index[key] = path
    return index


def _select(index: dict[str, Path], names: list[str] | None, where: PathArg) -> list[str]:
    """The keys of ``index`` to use: all (sorted) or those of ``names``, in their order."""
    if names is None:
        return sorted(index)
    for name in names:
        if _key(name) not in index:
            raise RestoreKitError(f"'{name}' listed in the split is missing", where)
    return [_key(n) for n in names]


def pair_folders(
    noisy_dir: PathArg,
    clean_dir: PathArg,
    names: list[str] | None = None,
) -> list[FileItem]:
    """Pair the images of two folders by name (``names``: only these, e.g. from a split)."""
    noisy_dir, clean_dir = Path(noisy_dir), Path(clean_dir)
    noisy, clean = _index_folder(noisy_dir), _index_folder(clean_dir)
    keys = _select(noisy, names, noisy_dir)
    for key in keys:
        if key not in clean:
            raise RestoreKitError(f"no partner in {clean_dir}", noisy[key])
    unpaired = sorted(set(clean) - set(noisy))
    if names is None and unpaired:
        raise RestoreKitError(f"no partner in {noisy_dir}", clean[unpaired[0]])
    return [
        FileItem(noisy[k].relative_to(noisy_dir).as_posix(), {"noisy": noisy[k], "clean": clean[k]})
        for k in keys
    ]


class CleanFolder(FileDataset):
    """Clean images only, yielding ``{"clean", "name"}``; noise is synthesised per batch later.

    ``root`` is a folder, a glob or a list of them (e.g. DIV2K + BSD400). ``split_file`` and
    ``split`` keep only the listed names. ``options``: those of :class:`FileDataset`.
    """

    def __init__(
        self,
        root: PathArg | Sequence[PathArg],
        *,
        split_file: PathArg | None = None,
        split: str | None = None,
        **options: Any,
    ) -> None:
        roots = [root] if isinstance(root, str | PathLike) else list(root)
        if split_file is None and split is not None:
            raise RestoreKitError("'split' needs a 'split_file'")
        found: list[tuple[str, Path]] = []
        for r in roots:
            folder = Path(r)
            found += [(_name_under(path, folder), path) for path in list_images(folder)]
        if split_file is not None:
            found = _pick(found, read_split(split_file, split), split_file)
        items = [FileItem(rel, {"clean": path}) for rel, path in found]
        super().__init__(items, **options)


def _pick(
    found: list[tuple[str, Path]], names: list[str], where: PathArg
) -> list[tuple[str, Path]]:
    """The ``(name, path)`` entries of ``found`` listed in ``names``, in the listed order."""
    by_key: dict[str, list[tuple[str, Path]]] = {}
    for entry in found:
        by_key.setdefault(_key(entry[0]), []).append(entry)
    picked = []
    for name in names:
        matches = by_key.get(_key(name), [])
        if len(matches) != 1:
            problem = "is missing" if not matches else "matches several images"
            raise RestoreKitError(f"'{name}' listed in the split {problem}", where)
        picked.append(matches[0])
    return picked


def pick_images(
    paths: Sequence[Path], root: PathArg, split_file: PathArg, split: str | None
) -> list[Path]:
    """The images of ``paths`` (found under ``root``) whose names ``split`` of ``split_file``
    lists, sorted; a listed name that is missing or ambiguous is an error."""
    found = [(_name_under(p, Path(root)), p) for p in paths]
    return sorted(path for _, path in _pick(found, read_split(split_file, split), split_file))


class PairedFolder(FileDataset):
    """Noisy/clean pairs from ``root/noisy`` + ``root/gt`` or from two given folders.

    Files pair by name up to the extension. ``split_file`` + ``split`` (e.g. PolyU's
    ``split.json`` with "train"/"test") keep only the listed names, in the listed order.
    ``options``: those of :class:`FileDataset`.
    """

    def __init__(
        self,
        root: PathArg | None = None,
        *,
        noisy_dir: PathArg | None = None,
        clean_dir: PathArg | None = None,
        split_file: PathArg | None = None,
        split: str | None = None,
        **options: Any,
    ) -> None:
        if root is not None and (noisy_dir is not None or clean_dir is not None):
            raise RestoreKitError("give either 'root' or 'noisy_dir' + 'clean_dir', not both")
        if root is not None:
            noisy_dir, clean_dir = Path(root) / "noisy", Path(root) / "gt"
        if noisy_dir is None or clean_dir is None:
            raise RestoreKitError(
                "a paired folder needs 'root' or both 'noisy_dir' and 'clean_dir'"
            )
        if split_file is None and split is not None:
            raise RestoreKitError("'split' needs a 'split_file'")
        names = None if split_file is None else read_split(split_file, split)
        super().__init__(pair_folders(noisy_dir, clean_dir, names), **options)


class Rain13k(FileDataset):
    """Deraining pairs in MPRNet's layout: ``root/input`` (rainy, as "noisy") + ``root/target``.

    The same layout holds Rain13K training data and the Rain100H/L, Test100/1200/2800 test sets.
    ``options``: those of :class:`FileDataset`.
    """

    def __init__(self, root: PathArg, **options: Any) -> None:
        super().__init__(pair_folders(Path(root) / "input", Path(root) / "target"), **options)

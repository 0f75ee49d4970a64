"""Camera noise profiles from darktable's ``noiseprofiles.json`` (issue #21): zero-pair noise.

darktable measures, per camera and ISO, the Poisson-Gaussian noise of raw data normalised to
[0, 1]: per channel (R, G, B) the variance is ``a * x + b``. restorekit does not ship that file
(darktable is GPL-3); it reads the copy a darktable installation has, at the first of
:func:`profile_search_paths`, or a path the user gives.

The file holds ``{"version", "noiseprofiles": [{"maker", "models": [{"model", "profiles":
[{"name", "iso", "a": [3], "b": [3], "skip"?}]}]}]}``. Here:

- Profiles with a true ``skip`` are ignored; several profiles at one ISO are averaged; the file
  is read as it is otherwise, and an entry is checked only when it is looked up.
- **Maker.** A profile's maker (``Nikon``) matches an EXIF make (``NIKON CORPORATION``) when,
  compared case- and space-insensitively, it is part of the make, or the model starts with it
  (``RICOH IMAGING COMPANY, LTD.`` + ``PENTAX K-70`` is a Pentax); ``OM Digital Solutions`` is
  darktable's ``OM System``. An empty make matches every maker (a camera given by name).
- **Model.** darktable compares models exactly after normalising EXIF names with its camera
  database; without that database, restorekit compares case-insensitively with white space
  removed (``E-M5MarkII`` is ``E-M5 Mark II``), after dropping a leading maker name from the
  EXIF model (``NIKON D800`` is ``D800``, ``Canon EOS R5`` is ``EOS R5``). Regional names
  (Canon's EOS Rebel / Kiss) match only under the name in the file.
- **ISO.** ``a`` and ``b`` are interpolated linearly in ISO between the two nearest profiled
  ISOs; outside the profiled range the lookup fails (no extrapolation).
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

from restorekit.errors import RestoreKitError
from restorekit.io import read_camera, read_file_bytes

FILE_NAME = "noiseprofiles.json"
DARKTABLE_DIRS: tuple[str, ...] = (
    "/usr/share/darktable",
    "/usr/local/share/darktable",
    "/opt/homebrew/share/darktable",
    "/Applications/darktable.app/Contents/Resources/share/darktable",
    "/var/lib/flatpak/app/org.darktable.Darktable/current/active/files/share/darktable",
    r"C:\Program Files\darktable\share\darktable",
)
"""Where darktable installs its data on Linux, macOS (Homebrew, app bundle), Flatpak, Windows."""

MAKER_ALIASES = {"omdigitalsolutions": "omsystem"}
"""EXIF makes (squashed) that darktable files under another maker name."""


def _squash(text: str) -> str:
    """``text`` case-folded with all white space removed: the form names are compared in."""
    return re.sub(r"\s+", "", text).casefold()


def profile_search_paths() -> list[Path]:
    """Candidate locations of darktable's file, in the order they are tried:
    ``$XDG_DATA_DIRS/darktable`` (default ``/usr/local/share:/usr/share``), then
    :data:`DARKTABLE_DIRS`."""
    xdg = os.environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
    dirs = [Path(d) / "darktable" for d in xdg.split(os.pathsep) if d]
    dirs += [Path(d) for d in DARKTABLE_DIRS if os.name == "nt" or not d.startswith("C:")]
    unique = dict.fromkeys(d / FILE_NAME for d in dirs)
    return list(unique)


def find_profiles_file(path: str | PathLike[str] | None = None) -> Path:
    """``path`` when given, else the first darktable ``noiseprofiles.json`` that exists."""
    if path is not None:
        return Path(path)
    for candidate in profile_search_paths():
        if candidate.is_file():
            return candidate
    looked = ", ".join(str(p) for p in profile_search_paths())
    raise RestoreKitError(
        f"no darktable {FILE_NAME} found (looked in {looked}); "
        "install darktable or pass the file's path (--profiles PATH)"
    )


@dataclass(frozen=True)
class NoiseProfile:
    """A camera's raw noise at one ISO: per channel (R, G, B) variance ``a * x + b``, x in [0, 1].

    ``between`` is the pair of profiled ISOs it was interpolated between (equal when measured).
    Its ``a`` and ``b`` are what ``build_noise("profiled", a=..., b=...)`` takes.
    """

    maker: str
    model: str
    iso: float
    a: tuple[float, float, float]
    b: tuple[float, float, float]
    between: tuple[int, int]

    @property
    def camera(self) -> str:
        """``Maker Model`` as the profile file names them."""
        return f"{self.maker} {self.model}"

    def describe(self) -> str:
        """``Nikon D800, ISO 3200 (interpolated between ISO 2500 and 4000): a = R .. G .. B ..;
        b = ...`` on one line."""
        low, high = self.between
        how = "measured" if low == high else f"interpolated between ISO {low} and {high}"
        a = " ".join(f"{c} {v:.4g}" for c, v in zip("RGB", self.a, strict=True))
        b = " ".join(f"{c} {v:.4g}" for c, v in zip("RGB", self.b, strict=True))
        return f"{self.camera}, ISO {self.iso:.10g} ({how}): a = {a}; b = {b}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-able fields."""
        return {
            "maker": self.maker,
            "model": self.model,
            "iso": self.iso,
            "a": list(self.a),
            "b": list(self.b),
            "between": list(self.between),
        }


@dataclass(frozen=True)
class CameraProfiles:
    """One camera's profiles: ``isos`` ascending, ``a[i]`` and ``b[i]`` (R, G, B) at ``isos[i]``."""

    maker: str
    model: str
    isos: tuple[int, ...]
    a: tuple[tuple[float, float, float], ...]
    b: tuple[tuple[float, float, float], ...]

    def at_iso(self, iso: float) -> NoiseProfile:
        """The profile at ``iso``, interpolated linearly between the two nearest profiled ISOs."""
        low, high = self.isos[0], self.isos[-1]
        if not math.isfinite(iso) or not low <= iso <= high:
            raise RestoreKitError(
                f"ISO {iso:.10g} is outside the profiled range of {self.maker} {self.model} "
                f"(ISO {low}-{high})"
            )
        upper = next(i for i, value in enumerate(self.isos) if value >= iso)
        lower = upper if self.isos[upper] == iso else upper - 1
        span = self.isos[upper] - self.isos[lower]
        t = 0.0 if span == 0 else (iso - self.isos[lower]) / span

        def mix(values: tuple[tuple[float, float, float], ...]) -> tuple[float, float, float]:
            v0, v1 = values[lower], values[upper]
            return tuple(p + t * (q - p) for p, q in zip(v0, v1, strict=True))

        between = (self.isos[lower], self.isos[upper])
        return NoiseProfile(self.maker, self.model, float(iso), mix(self.a), mix(self.b), between)


class NoiseProfiles:
    """darktable's noise profile file, read once; cameras are looked up by EXIF make and model."""

    def __init__(self, data: Any, path: Path) -> None:
        self.path = path
        makers = data.get("noiseprofiles") if isinstance(data, dict) else None
        if not isinstance(makers, list):
            raise RestoreKitError(f"not a darktable {FILE_NAME} (no 'noiseprofiles' list)", path)
        self._entries: list[tuple[str, str, list[Any]]] = []
        for maker in makers:
            if not isinstance(maker, dict) or not isinstance(maker.get("models"), list):
                continue
            for model in maker["models"]:
                if isinstance(model, dict) and isinstance(model.get("profiles"), list):
                    name = (str(maker.get("maker", "")), str(model.get("model", "")))
                    self._entries.append((*name, model["profiles"]))

    @classmethod
    def load(cls, path: str | PathLike[str] | None = None) -> NoiseProfiles:
        """Read ``path``, or darktable's installed file (:func:`find_profiles_file`)."""
        path = find_profiles_file(path)
        try:
            data = json.loads(read_file_bytes(path))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            message = f"not a darktable {FILE_NAME} (invalid JSON: {err})"
            raise RestoreKitError(message, path) from None
        return cls(data, path)

    def cameras(self) -> list[str]:
        """``Maker Model`` of every camera in the file, in file order."""
        return [f"{maker} {model}" for maker, model, _ in self._entries]

    def find(self, make: str, model: str) -> CameraProfiles:
        """The profiles of the camera with EXIF ``make`` and ``model`` (module docstring's rule).

        ``make`` may be empty for a camera given by name (``"NIKON D800"``, ``"ILCE-7M3"``).
        """
        exif_make, exif_model = _squash(make), _squash(model)
        names = dict.fromkeys(m for m, _, _ in self._entries)
        makers = [m for m in names if _maker_matches(m, exif_make, exif_model)]
        matches = [
            entry
            for entry in self._entries
            if entry[0] in makers and _squash(entry[1]) in _model_forms(entry[0], exif_model)
        ]
        camera = " ".join(part for part in (make, model) if part) or "''"
        if len(matches) > 1:
            names = ", ".join(f"{m} {n}" for m, n, _ in matches)
            raise RestoreKitError(f"{camera} matches several cameras ({names}); give the make too")
        if not matches:
            hint = (
                f"no maker of that name in the file; makers: {', '.join(names)}"
                if not makers
                else self._close_names(makers, exif_model)
            )
            raise RestoreKitError(
                f"no darktable noise profile for {camera} in {self.path} ({hint})"
            )
        maker_name, model_name, profiles = matches[0]
        return _camera_profiles(maker_name, model_name, profiles, self.path)

    def lookup(self, make: str, model: str, iso: float) -> NoiseProfile:
        """The noise of camera ``make`` ``model`` at ``iso`` (interpolated)."""
        return self.find(make, model).at_iso(iso)

    def for_photo(self, photo: str | PathLike[str]) -> NoiseProfile:
        """The noise profile of the camera and ISO in ``photo``'s EXIF."""
        camera = read_camera(photo)
        missing = [
            name
            for name, value in (("make", camera.make), ("model", camera.model), ("ISO", camera.iso))
            if value is None
        ]
        if missing:
            raise RestoreKitError(
                f"no EXIF {', '.join(missing)}: cannot pick a camera noise profile", photo
            )
        return self.lookup(camera.make or "", camera.model or "", float(camera.iso or 0))

    def _close_names(self, makers: Sequence[str], exif_model: str) -> str:
        """``close: Nikon D800, Nikon D810`` among the cameras of the matching makers."""
        pool = [(m, n) for m, n, _ in self._entries if m in makers]
        whose = f" {'/'.join(makers)}" if len(makers) <= 2 else ""
        forms: dict[str, str] = {}
        for maker, name in pool:
            forms.setdefault(_squash(name), f"{maker} {name}")
            forms.setdefault(_squash(f"{maker}{name}"), f"{maker} {name}")
        close = difflib.get_close_matches(exif_model, list(forms), n=8, cutoff=0.6)
        names = list(dict.fromkeys(forms[c] for c in close))[:5]
        if names:
            return "close: " + ", ".join(names)
        return f"no close name among its {len(pool)}{whose} cameras"


def _maker_matches(maker: str, exif_make: str, exif_model: str) -> bool:
    key = _squash(maker)
    return (
        not exif_make
        or key in exif_make
        or MAKER_ALIASES.get(exif_make) == key
        or exif_model.startswith(key)
    )


def _model_forms(maker: str, exif_model: str) -> set[str]:
    """The EXIF model as is and without a leading maker name (squashed)."""
    key = _squash(maker)
    forms = {exif_model}
    if exif_model.startswith(key) and len(exif_model) > len(key):
        forms.add(exif_model[len(key) :])
    return forms


def _triple(value: Any) -> tuple[float, float, float] | None:
    """Three finite numbers as a tuple, else None."""
    if not isinstance(value, list) or len(value) != 3:
        return None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return None
    if not all(math.isfinite(v) for v in value):
        return None
    return (float(value[0]), float(value[1]), float(value[2]))


def _camera_profiles(maker: str, model: str, profiles: list[Any], path: Path) -> CameraProfiles:
    """The usable profiles of one camera: ``skip`` ones dropped, one ISO's profiles averaged."""
    by_iso: dict[int, list[tuple[tuple[float, float, float], tuple[float, float, float]]]] = {}
    for profile in profiles:
        if not isinstance(profile, dict) or profile.get("skip"):
            continue
        iso, a, b = profile.get("iso"), _triple(profile.get("a")), _triple(profile.get("b"))
        if not isinstance(iso, (int, float)) or isinstance(iso, bool) or not iso > 0:
            raise RestoreKitError(f"{maker} {model}: a profile has no positive 'iso'", path)
        if a is None or b is None:
            raise RestoreKitError(
                f"{maker} {model} ISO {iso:g}: 'a' and 'b' must be 3 finite numbers each", path
            )
        by_iso.setdefault(int(iso), []).append((a, b))
    if not by_iso:
        raise RestoreKitError(f"{maker} {model}: every profile is marked 'skip'", path)
    isos = tuple(sorted(by_iso))

    def mean(iso: int, part: int) -> tuple[float, float, float]:
        rows = [pair[part] for pair in by_iso[iso]]
        return tuple(sum(column) / len(rows) for column in zip(*rows, strict=True))

    return CameraProfiles(
        maker,
        model,
        isos,
        tuple(mean(iso, 0) for iso in isos),
        tuple(mean(iso, 1) for iso in isos),
    )

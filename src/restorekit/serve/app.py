"""The web page behind `restorekit serve`: a small Starlette (ASGI) app with plain HTML/JS.

Why Starlette + uvicorn (with python-multipart for uploads) rather than Gradio: three small
packages under BSD/Apache licences against Gradio's hundred-odd dependencies; the page is plain
HTML, CSS and JavaScript served from this package (``static/``), so nothing is fetched from the
internet; and Starlette's ``TestClient`` runs every endpoint in-process in the tests.

The work is the library's: ``restorekit.infer.files.restore_files`` restores each upload exactly
as `restorekit denoise` does (format, bit depth, alpha kept), ``restorekit.io`` reads and writes,
``restorekit.metrics`` scores against an optional clean reference.

Safety, by default: uploads above ``max_upload_mb`` (image and reference together) and images
above ``max_megapixels`` are refused with 413; a bad file gets a 400 with restorekit's one-line
message; one inference runs at a time (an ``asyncio.Lock``, the work in a thread), the others
wait their turn; uploads and results live in one ``tempfile.TemporaryDirectory`` created at
startup and removed at shutdown (python-multipart spools large uploads to anonymous temporary
files first, which the OS deletes when closed).

Endpoints: ``GET /`` the page, ``GET /api/config`` models, options and limits, ``POST
/api/denoise`` (multipart: ``image``, optional ``reference``, ``model``, ``tile``, ``tta``,
``precision``) the result's description and URLs, ``GET /api/files/{job}/{kind}`` the files
(``result`` to download; ``before``, ``after`` 8-bit PNG previews; ``noise_map``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import re
import shutil
import tempfile
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath
from typing import Any

import numpy as np
from PIL import Image
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive
from torch import nn

from restorekit.errors import RestoreKitError
from restorekit.infer.files import estimates_noise, restore_files
from restorekit.infer.loading import DEFAULT_MODEL, load_models, model_channels
from restorekit.infer.outputs import model_device
from restorekit.infer.precision import PRECISIONS
from restorekit.infer.tasks import TASKS
from restorekit.infer.tiling import parse_tile
from restorekit.io import IMAGE_EXTENSIONS, ImageMeta, read_image, write_image
from restorekit.metrics import psnr, ssim
from restorekit.weights.catalog import list_model_summaries

STATIC = Path(__file__).with_name("static")
#: The extension a result gets when the upload's name has none we can write (by content format).
FORMAT_EXTENSIONS = {"PNG": ".png", "JPEG": ".jpg", "TIFF": ".tif", "BMP": ".bmp", "WEBP": ".webp"}
#: The page's own files only: no inline scripts, nothing from other hosts.
CSP = "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; base-uri 'none'"
SSIM_MIN_SIDE = 11

_log = logging.getLogger(__name__)


class UploadTooLarge(RestoreKitError):
    """An upload over the byte or pixel limit (answered with 413)."""


@dataclass(frozen=True)
class Options:
    """What the page asks for one image: model name or path, tile, TTA, precision."""

    model: str
    tile: int | str | None
    tta: bool
    precision: str


@dataclass(frozen=True)
class Job:
    """One request's folder, its files and the names the user knows them by."""

    id: str
    folder: Path
    source: Path
    reference: Path | None

    def user_text(self, err: BaseException) -> str:
        """``err``'s message with the work folder's paths replaced by the uploads' names."""
        text = str(err)
        for sub, label in (("input", ""), ("reference", "reference "), ("out", "")):
            text = text.replace(f"{self.folder / sub}{os.sep}", label)
        return text


def parse_options(form: dict[str, Any]) -> Options:
    """The page's option fields, checked: tile ``auto``, ``whole`` or N; precision one of
    ``restorekit.infer.precision.PRECISIONS``."""
    tile = parse_tile(str(form.get("tile") or "auto"))
    precision = str(form.get("precision") or "auto").strip().lower()
    if precision not in PRECISIONS:
        choices = ", ".join(PRECISIONS)
        raise RestoreKitError(f"precision must be one of {choices}, got '{precision}'")
    model = os.path.expanduser(str(form.get("model") or "").strip()) or DEFAULT_MODEL
    tta = str(form.get("tta") or "").lower() in ("1", "true", "on", "yes")
    return Options(model=model, tile=tile, tta=tta, precision=precision)


def safe_name(filename: str | None, fallback: str = "image") -> str:
    """The upload's base name with anything but letters, digits, ``.``, ``-``, ``_`` replaced,
    so it can be created in the work folder and offered as the download's name."""
    name = re.sub(r"[^\w.-]", "_", PureWindowsPath(filename or "").name).lstrip(".")
    return name[-120:] or fallback


def header_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from the file's header without decoding it, or None when Pillow cannot
    tell (``read_image`` then checks the file fully), so huge images are refused early."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                return im.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def limited_receive(receive: Receive, max_bytes: int) -> Receive:
    """``receive`` raising ``UploadTooLarge`` once the body passes ``max_bytes`` (for uploads
    without a Content-Length, or one that lies)."""
    total = 0

    async def wrapped() -> Message:
        nonlocal total
        message = await receive()
        total += len(message.get("body", b""))
        if total > max_bytes:
            raise UploadTooLarge(f"the upload is over the {max_bytes / 1e6:g} MB limit")
        return message

    return wrapped


def _score(image: np.ndarray, reference: np.ndarray) -> dict[str, float | None]:
    """PSNR (dB; None when identical) and SSIM (None below 11 px) against the reference."""
    value = psnr(image, reference, data_range=1.0)
    small = min(image.shape[-2:]) < SSIM_MIN_SIDE
    return {
        "psnr": round(value, 3) if math.isfinite(value) else None,
        "ssim": None if small else round(ssim(image, reference, data_range=1.0), 4),
    }


def _describe(meta: ImageMeta) -> str:
    return (
        f"{meta.width}x{meta.height}, {'gray' if meta.gray else 'RGB'}"
        f"{' + alpha' if meta.has_alpha else ''}"
    )


class Server:
    """State shared by the requests: limits, the work folder, the one-at-a-time lock, the last
    model loaded (kept for the next image; a different one replaces it, so one is in memory)."""

    def __init__(self, max_upload_mb: float, max_megapixels: float, device: str) -> None:
        self.max_bytes = int(max_upload_mb * 1e6)
        self.max_pixels = int(max_megapixels * 1e6)
        self.device = device
        self.workdir: Path | None = None
        self.lock: asyncio.Lock | None = None
        self.files: dict[str, dict[str, Path]] = {}
        self._model: tuple[str, nn.Module, bool] | None = None

    def check_pixels(self, width: int, height: int, name: str) -> None:
        """Refuse an image over ``max_megapixels``."""
        if width * height > self.max_pixels:
            raise UploadTooLarge(
                f"{name}: {width}x{height} is {width * height / 1e6:.3g} megapixels, over the "
                f"{self.max_pixels / 1e6:g} megapixel limit (restorekit serve --max-megapixels)"
            )

    def model(self, spec: str) -> tuple[nn.Module, bool]:
        """The loaded model for a name or path, and whether it estimates a noise map."""
        if self._model is None or self._model[0] != spec:
            self._model = None  # release the previous model before loading the next
            net = load_models(spec, self.device)
            multiple = int(getattr(net, "size_multiple", 1))
            noise = estimates_noise(net, model_channels(net), multiple, model_device(net))
            self._model = (spec, net, noise)
        return self._model[1], self._model[2]

    def process(self, job: Job, options: Options) -> dict[str, Any]:
        """Read, check, denoise, preview and score one upload (in a worker thread, under the
        lock); returns the JSON the page shows."""
        image, meta = read_image(job.source)
        self.check_pixels(meta.width, meta.height, job.source.name)
        source = job.source
        if source.suffix.lower() not in IMAGE_EXTENSIONS:
            source = source.rename(source.with_name(source.name + FORMAT_EXTENSIONS[meta.format]))
        reference = None
        if job.reference is not None:
            reference, ref_meta = read_image(job.reference)
            if reference.shape != image.shape:
                raise RestoreKitError(
                    f"the reference is {_describe(ref_meta)} but the image is {_describe(meta)}",
                    job.reference,
                )
        net, has_noise = self.model(options.model)
        out = job.folder / "out"
        start = time.perf_counter()
        task = next((n for n, t in TASKS.items() if t.model == options.model), "denoise")
        written = restore_files(
            [source],
            out,
            task=task,
            model=net,
            tile=options.tile,
            tta=options.tta,
            precision=options.precision,
            device=self.device,
            noise_map=out if has_noise else None,
            progress=False,
        )
        seconds = time.perf_counter() - start
        result, result_meta = read_image(written[0])
        files = {"result": written[0], "before": job.folder / "before.png"}
        files["after"] = job.folder / "after.png"
        write_image(files["before"], image, meta, bit_depth=8)
        write_image(files["after"], result, result_meta, bit_depth=8)
        if has_noise:
            files["noise_map"] = written[1]
        self.files[job.id] = files
        urls = {kind: f"/api/files/{job.id}/{kind}" for kind in files}
        metrics = None
        if reference is not None:
            metrics = {"input": _score(image, reference), "output": _score(result, reference)}
        return {
            "id": job.id,
            "name": written[0].name,
            "width": meta.width,
            "height": meta.height,
            "format": result_meta.format,
            "bit_depth": result_meta.bit_depth,
            "gray": result_meta.gray,
            "alpha": result_meta.has_alpha,
            "model": options.model,
            "seconds": round(seconds, 3),
            "urls": urls,
            "metrics": metrics,
        }

    async def save_upload(self, upload: UploadFile, folder: Path, fallback: str) -> Path:
        """Copy an uploaded file into ``folder`` under its safe name; refuse one over the pixel
        limit from its header already (no decoding)."""
        folder.mkdir(parents=True)
        path = folder / safe_name(upload.filename, fallback)
        with path.open("wb") as file:
            await run_in_threadpool(shutil.copyfileobj, upload.file, file)
        size = header_size(path)
        if size is not None:
            self.check_pixels(*size, path.name)
        return path

    async def denoise(self, request: Request) -> Response:
        """``POST /api/denoise``: one image (and optional reference) in, its results out."""
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            return _error(413, f"the upload is over the {self.max_bytes / 1e6:g} MB limit")
        limited = Request(request.scope, limited_receive(request.receive, self.max_bytes))
        assert self.workdir is not None and self.lock is not None  # set by the lifespan
        job_id = uuid.uuid4().hex
        folder = self.workdir / job_id
        job: Job | None = None
        try:
            async with limited.form() as form:
                upload = form.get("image")
                if not isinstance(upload, UploadFile):
                    raise RestoreKitError("no image in the upload (form field 'image')")
                options = parse_options(dict(form))
                source = await self.save_upload(upload, folder / "input", "image")
                ref = form.get("reference")
                reference = None
                if isinstance(ref, UploadFile) and ref.filename:
                    reference = await self.save_upload(ref, folder / "reference", "reference")
            job = Job(job_id, folder, source, reference)
            async with self.lock:
                return JSONResponse(await run_in_threadpool(self.process, job, options))
        except UploadTooLarge as err:
            status, text = 413, job.user_text(err) if job else str(err)
        except RestoreKitError as err:
            status, text = 400, job.user_text(err) if job else str(err)
        except HTTPException as err:  # a malformed multipart body
            status, text = err.status_code, str(err.detail)
        except Exception as err:
            _log.exception("restorekit serve: unexpected error")
            status, text = 500, f"internal error ({type(err).__name__}: {err}); see the server log"
        shutil.rmtree(folder, ignore_errors=True)
        self.files.pop(job_id, None)
        return _error(status, text)

    async def file(self, request: Request) -> Response:
        """``GET /api/files/{job}/{kind}``: a result (download) or a preview (inline)."""
        path = self.files.get(request.path_params["job"], {}).get(request.path_params["kind"])
        if path is None or not path.is_file():
            return _error(404, "no such result (results are deleted when the server stops)")
        if request.path_params["kind"] in ("result", "noise_map"):
            return FileResponse(path, filename=path.name)
        return FileResponse(path)

    async def config(self, request: Request) -> Response:
        """``GET /api/config``: bundled models, the default, the options and the limits."""
        models = [
            {"name": s["name"], "network": s["network"], "parameters": s["parameters"]}
            for s in await run_in_threadpool(list_model_summaries)
        ]
        return JSONResponse(
            {
                "models": models,
                "default_model": DEFAULT_MODEL,
                "precisions": list(PRECISIONS),
                "max_upload_mb": self.max_bytes / 1e6,
                "max_megapixels": self.max_pixels / 1e6,
            }
        )

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        """The work folder and lock for the server's lifetime; the folder is removed at exit."""
        with tempfile.TemporaryDirectory(prefix="restorekit-serve-") as folder:
            self.workdir = Path(folder)
            self.lock = asyncio.Lock()
            app.state.workdir = self.workdir
            try:
                yield
            finally:
                self.files.clear()
                self._model = None


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _index(request: Request) -> Response:
    response = FileResponse(STATIC / "index.html")
    response.headers["Content-Security-Policy"] = CSP
    return response


def create_app(
    *,
    max_upload_mb: float = 50.0,
    max_megapixels: float = 24.0,
    device: str = "auto",
    on_ready: Callable[[], None] | None = None,
) -> Starlette:
    """The ASGI app; ``on_ready`` runs once it serves (`restorekit serve --open` opens the page)."""
    server = Server(max_upload_mb, max_megapixels, device)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with server.lifespan(app):
            if on_ready is not None:
                on_ready()
            yield

    return Starlette(
        routes=[
            Route("/", _index),
            Route("/api/config", server.config),
            Route("/api/denoise", server.denoise, methods=["POST"]),
            Route("/api/files/{job}/{kind}", server.file),
            Mount("/static", StaticFiles(directory=STATIC)),
        ],
        lifespan=lifespan,
    )

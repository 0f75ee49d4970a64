"""`restorekit serve`'s HTTP endpoints, in-process with Starlette's TestClient and a tiny model."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from starlette.testclient import TestClient

import restorekit.serve.app as serve_app
from restorekit.cli.main import main
from restorekit.infer import DEFAULT_MODEL
from restorekit.io import read_image
from restorekit.io.png import encode_png
from restorekit.serve.app import create_app, safe_name


@pytest.fixture(scope="module")
def model_path(tiny_model_file: Callable[..., Path]) -> Path:
    """A random-weight AINDNet small enough for the tests (it estimates a noise map)."""
    return tiny_model_file("aindnet", "tiny.safetensors", width=4, estimator_width=4)


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(device="cpu")) as test_client:
        yield test_client


def png16_rgba(width: int = 40, height: int = 32, seed: int = 0) -> tuple[bytes, np.ndarray]:
    """A noisy 16-bit RGBA PNG and its alpha plane."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 65536, (height, width, 4), dtype=np.uint16)
    pixels[:, :, 3] = np.linspace(0, 65535, width, dtype=np.uint16)[None]
    return encode_png(pixels), pixels[:, :, 3]


def png8(width: int = 40, height: int = 32, seed: int = 1) -> bytes:
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def post(client: TestClient, name: str, data: bytes, model: Path, **fields: Any) -> Any:
    """POST one image to /api/denoise with the page's fields (the response)."""
    files: dict[str, Any] = {"image": (name, data)}
    if "reference" in fields:
        files["reference"] = fields.pop("reference")
    form = {"model": str(model), "tile": "auto", "precision": "fp32", **fields}
    return client.post("/api/denoise", files=files, data=form)


def test_index_static_files_and_config(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "restorekit" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "http" not in page.text.replace("http-equiv", "")  # nothing from other hosts
    for name in ("app.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200
    config = client.get("/api/config").json()
    assert "aindnet-real" in [m["name"] for m in config["models"]]
    assert config["default_model"] == DEFAULT_MODEL in [m["name"] for m in config["models"]]
    assert config["max_upload_mb"] == 50 and config["max_megapixels"] == 24


def test_sixteen_bit_rgba_png_stays_sixteen_bit_with_alpha(
    client: TestClient, model_path: Path
) -> None:
    data, alpha = png16_rgba()
    response = post(client, "photo.png", data, model_path, tta="1")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["format"], body["bit_depth"], body["alpha"]) == ("PNG", 16, True)
    assert body["name"] == "photo_denoised.png" and body["metrics"] is None
    result = client.get(body["urls"]["result"])
    assert result.status_code == 200
    assert 'filename="photo_denoised.png"' in result.headers["content-disposition"]
    path = Path(client.app.state.workdir) / "check.png"
    path.write_bytes(result.content)
    image, meta = read_image(path)
    assert (meta.format, meta.bit_depth, image.shape) == ("PNG", 16, (3, 32, 40))
    np.testing.assert_array_equal(meta.alpha, alpha)
    for kind in ("before", "after", "noise_map"):  # previews for the slider, AINDNet's map
        preview = client.get(body["urls"][kind])
        assert preview.status_code == 200 and preview.content.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(client.get(body["urls"]["after"]).content)).mode == "RGBA"


def test_format_follows_content_when_the_name_has_no_image_extension(
    client: TestClient, model_path: Path
) -> None:
    buffer = io.BytesIO()
    Image.fromarray(np.full((32, 40), 128, np.uint8)).save(buffer, "TIFF")
    body = post(client, "scan", buffer.getvalue(), model_path).json()
    assert (body["name"], body["format"], body["bit_depth"], body["gray"]) == (
        "scan_denoised.tif",
        "TIFF",
        8,
        True,
    )


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 20, "broken.png: "),
        ("notes.png", b"just some text\nover two lines\n", "notes.png: "),
        ("anim.gif", b"GIF89a" + b"\x00" * 40, "anim.gif: "),
    ],
)
def test_bad_upload_is_one_line_and_the_server_keeps_serving(
    client: TestClient, model_path: Path, name: str, data: bytes, expected: str
) -> None:
    response = post(client, name, data, model_path)
    assert response.status_code == 400
    message = response.json()["error"]
    assert message.startswith(expected) and "\n" not in message
    assert "restorekit-serve" not in message  # the user's file name, not the work folder
    assert post(client, "good.png", png8(), model_path).status_code == 200
    workdir = Path(client.app.state.workdir)
    assert len(list(workdir.iterdir())) == 1  # the failed request left nothing behind


def test_bad_options_and_model_are_one_line(client: TestClient, model_path: Path) -> None:
    bad_tile = post(client, "a.png", png8(), model_path, tile="big")
    assert bad_tile.status_code == 400 and "tile must be" in bad_tile.json()["error"]
    missing = post(client, "a.png", png8(), Path("/nowhere/model.safetensors"))
    assert missing.status_code == 400 and "\n" not in missing.json()["error"]
    no_image = client.post("/api/denoise", data={"model": "x"})
    assert no_image.status_code == 400 and "no image" in no_image.json()["error"]


def test_upload_and_pixel_limits(model_path: Path) -> None:
    with TestClient(create_app(max_upload_mb=0.002, device="cpu")) as client:
        too_big = post(client, "big.png", png8(64, 64) + b"\x00" * 4000, model_path)
        assert too_big.status_code == 413
        assert "0.002 MB limit" in too_big.json()["error"]
        # no Content-Length (chunked): counted while it arrives
        request = client.build_request(
            "POST", "/api/denoise", files={"image": ("big.png", b"\x00" * 5000)}
        )
        body = request.read()
        chunked = client.post(
            "/api/denoise",
            content=iter([body[:1000], body[1000:]]),
            headers={"content-type": request.headers["content-type"]},
        )
        assert chunked.status_code == 413
    with TestClient(create_app(max_megapixels=0.001, device="cpu")) as client:
        response = post(client, "wide.png", png8(40, 32), model_path)
        assert response.status_code == 413
        assert (
            "40x32 is 0.00128 megapixels, over the 0.001 megapixel limit"
            in response.json()["error"]
        )
        assert client.get("/").status_code == 200


def test_concurrent_requests_run_one_inference_at_a_time(
    client: TestClient, model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    active, peak = [0], [0]
    real = serve_app.restore_files

    def counting(*args: Any, **kwargs: Any) -> list[Path]:
        active[0] += 1
        peak[0] = max(peak[0], active[0])
        time.sleep(0.2)
        try:
            return real(*args, **kwargs)
        finally:
            active[0] -= 1

    monkeypatch.setattr(serve_app, "restore_files", counting)
    codes: list[int] = []

    def request(seed: int) -> None:
        codes.append(post(client, f"{seed}.png", png8(seed=seed), model_path).status_code)

    threads = [threading.Thread(target=request, args=(seed,)) for seed in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [200, 200] and peak[0] == 1


def test_clean_reference_gives_psnr_and_ssim(client: TestClient, model_path: Path) -> None:
    clean = png8(seed=3)
    body = post(client, "n.png", png8(seed=4), model_path, reference=("c.png", clean)).json()
    for which in ("input", "output"):
        assert body["metrics"][which]["psnr"] > 0 and -1 <= body["metrics"][which]["ssim"] <= 1
    same = post(client, "n.png", clean, model_path, reference=("c.png", clean)).json()
    assert same["metrics"]["input"] == {"psnr": None, "ssim": 1.0}  # identical: infinite PSNR
    small = ("c.png", png8(20, 16))
    mismatch = post(client, "n.png", clean, model_path, reference=small)
    assert mismatch.status_code == 400
    assert mismatch.json()["error"].startswith("reference c.png: the reference is 20x16")


def test_work_folder_removed_at_shutdown(model_path: Path) -> None:
    with TestClient(create_app(device="cpu")) as client:
        workdir = Path(client.app.state.workdir)
        body = post(client, "a.png", png8(), model_path).json()
        assert any(workdir.rglob("a_denoised.png"))
    assert not workdir.exists()
    with TestClient(create_app(device="cpu")) as client:
        assert client.get(body["urls"]["result"]).status_code == 404


def test_safe_name_keeps_only_the_base_name() -> None:
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\photos\\my photo.png") == "my_photo.png"
    assert safe_name("..hidden") == "hidden"
    assert safe_name("", "image") == "image"


def test_cli_without_the_ui_extra_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import restorekit.serve

    monkeypatch.setattr(restorekit.serve, "UI_MODULES", ("starlette", "not_installed_module"))
    assert main(["serve"]) == 2
    err = capsys.readouterr().err.strip()
    assert "pip install 'restorekit[ui]'" in err and "\n" not in err


def test_a_task_model_names_its_result_by_the_task(client: TestClient) -> None:
    response = post(client, "rainy.png", png8(), Path("hinet-derain"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "rainy_derained.png" and "noise_map" not in body["urls"]

"""Drive `restorekit serve` in headless Chromium: drop and pick, denoise, slider, zoom, download.

A real-browser check of the web page, outside CI (it needs Chromium, its driver and Selenium):

    apt-get install -y chromium chromium-driver && .venv/bin/pip install selenium
    .venv/bin/python scripts/serve_browser_check.py --out serve_check/ --model aindnet-real \
        --screenshot docs/serve_screenshot.png

It starts the server on a free local port, makes a noisy 16-bit RGBA PNG (a crop of
scikit-image's CC0 ``astronaut`` with seeded Gaussian noise) and its clean reference, drops the
image onto the page (a DataTransfer built in the page, as a drag from the desktop delivers it),
picks a second copy with the file picker and the reference for the first, denoises, drags the
before/after split, zooms to 100 % and downloads the result, then checks that the download is a
16-bit PNG with the input's alpha. Screenshots of each step go to ``--out``; ``--screenshot``
also saves the final view, reduced to a 256-colour PNG, for the README.
"""

from __future__ import annotations

import argparse
import base64
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from skimage import data

from restorekit.io import read_image
from restorekit.io.png import encode_png

DROP_JS = """
const [b64, name] = arguments;
const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const transfer = new DataTransfer();
transfer.items.add(new File([bytes], name, { type: "image/png" }));
for (const type of ["dragenter", "dragover", "drop"]) {
  document.getElementById("drop").dispatchEvent(
    new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
}
"""


def make_images(folder: Path, side: int = 256) -> tuple[Path, Path]:
    """A noisy 16-bit RGBA PNG (alpha: soft corners) and its clean 16-bit reference."""
    clean = data.astronaut()[:side, 96 : 96 + side].astype(np.float64) / 255.0
    noisy = clean + np.random.default_rng(0).normal(0.0, 25 / 255, clean.shape)
    yy, xx = np.mgrid[:side, :side] / side - 0.5
    alpha = np.clip(2.2 - 3.0 * np.hypot(yy, xx), 0, 1)  # transparent corners

    def png16(rgb: np.ndarray, with_alpha: bool) -> bytes:
        planes = [rgb] + ([alpha[:, :, None]] if with_alpha else [])
        return encode_png(np.rint(np.clip(np.concatenate(planes, 2), 0, 1) * 65535).astype("u2"))

    noisy_path, clean_path = folder / "astronaut_noisy.png", folder / "astronaut_clean.png"
    noisy_path.write_bytes(png16(noisy, True))
    clean_path.write_bytes(png16(clean, False))
    return noisy_path, clean_path


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(port: int) -> subprocess.Popen[bytes]:
    """`restorekit serve` on ``port``, once it answers."""
    server = subprocess.Popen([sys.executable, "-m", "restorekit", "serve", "--port", str(port)])
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
            return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("the server did not start")


def browser(downloads: Path) -> webdriver.Chrome:
    """Debian's headless Chromium through its chromedriver, downloading into ``downloads``."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads)})
    return webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))


def run_check(
    driver: webdriver.Chrome, url: str, out: Path, noisy: Path, clean: Path, model: str
) -> Path:
    """The steps, each checked in the page; returns the downloaded file."""
    wait = WebDriverWait(driver, 300)
    driver.get(url)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#model option[value='{model}']"))
    driver.find_element(By.CSS_SELECTOR, f"#model option[value='{model}']").click()
    driver.execute_script(DROP_JS, base64.b64encode(noisy.read_bytes()).decode(), noisy.name)
    picker = driver.find_element(By.ID, "pick")
    driver.execute_script("arguments[0].style.display = 'block'", picker)
    picker.send_keys(str(noisy.resolve()))
    driver.execute_script("arguments[0].style.display = ''", picker)
    reference = driver.find_element(By.ID, "ref-0")
    driver.execute_script("arguments[0].style.display = 'block'", reference)
    reference.send_keys(str(clean.resolve()))
    driver.execute_script("arguments[0].style.display = ''", reference)
    assert len(driver.find_elements(By.CSS_SELECTOR, "#queue li")) == 2
    driver.save_screenshot(str(out / "1_queued.png"))
    driver.find_element(By.ID, "run").click()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#queue li.done")) == 2)
    errors = driver.find_elements(By.CSS_SELECTOR, "#queue .status.error")
    assert not errors, [e.text for e in errors]
    driver.find_element(By.CSS_SELECTOR, "#queue li").click()  # the one with the reference
    wait.until(lambda d: d.execute_script("return document.getElementById('after').complete"))
    assert driver.find_element(By.ID, "metrics").is_displayed()
    assert driver.find_element(By.ID, "noise").is_displayed()
    driver.save_screenshot(str(out / "2_denoised.png"))
    stage = driver.find_element(By.ID, "stage")
    offset = -stage.size["width"] // 10  # from the centre: 40 % of the way in
    ActionChains(driver).move_to_element_with_offset(stage, offset, 0).click().perform()
    split = float(driver.find_element(By.ID, "split").get_attribute("value"))
    assert 35 < split < 45, split  # the split followed the click
    driver.save_screenshot(str(out / "3_slider.png"))
    driver.find_element(By.CSS_SELECTOR, "[data-zoom='1']").click()
    width = driver.execute_script("return document.getElementById('stage').style.width")
    assert width == "256px", width  # 100 %: one image pixel per CSS pixel
    driver.save_screenshot(str(out / "4_zoom_100.png"))
    driver.find_element(By.ID, "download").click()
    target = out / "downloads" / "astronaut_noisy_denoised.png"
    for _ in range(100):
        if target.is_file():
            break
        time.sleep(0.2)
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("serve_check"), help="screenshots")
    parser.add_argument("--model", default="aindnet-real", help="bundled model to pick")
    parser.add_argument("--screenshot", type=Path, help="also save the final view here (small)")
    args = parser.parse_args()
    (args.out / "downloads").mkdir(parents=True, exist_ok=True)
    noisy, clean = make_images(args.out)
    port = free_port()
    server = start_server(port)
    driver = browser(args.out / "downloads")
    try:
        url = f"http://127.0.0.1:{port}/"
        download = run_check(driver, url, args.out, noisy, clean, args.model)
        metrics = driver.find_element(By.ID, "metrics").text.replace("\n", "; ")
        if args.screenshot is not None:
            driver.save_screenshot(str(args.out / "5_final.png"))
            shot = Image.open(args.out / "5_final.png").convert("RGB")
            shot.quantize(256).save(args.screenshot, optimize=True)
    finally:
        driver.quit()
        server.terminate()
        server.wait(30)
    _, meta = read_image(download)
    _, source = read_image(noisy)
    assert (meta.format, meta.bit_depth) == ("PNG", 16), meta
    assert meta.alpha is not None and np.array_equal(meta.alpha, source.alpha)
    print(f"ok: {download} is {meta.width}x{meta.height} 16-bit PNG with alpha; {metrics}")
    print(f"screenshots in {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())

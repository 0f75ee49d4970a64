"""`restorekit serve`: a local web page for denoising (the app is in ``restorekit.serve.app``).

The page needs the optional ``ui`` extra (Starlette, uvicorn, python-multipart); this module
imports it only when the server starts, so the rest of restorekit runs without it.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import socket
import webbrowser

from restorekit.errors import RestoreKitError

#: Modules of the ``ui`` extra (python-multipart installs ``python_multipart``).
UI_MODULES = ("starlette", "uvicorn", "python_multipart")


def check_ui_extra() -> None:
    """Raise a one-line ``RestoreKitError`` naming the install command when the extra is missing."""
    missing = [name for name in UI_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise RestoreKitError(
            f"the web page needs the optional ui extra ({', '.join(missing)} missing): "
            "pip install 'restorekit[ui]'"
        )


def _check_port(host: str, port: int) -> None:
    """Fail with one line when the address cannot be bound (uvicorn would log and exit)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            raise RestoreKitError(
                f"cannot listen on {host}:{port} ({err.strerror or err}); pick another --port"
            ) from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    open_browser: bool = False,
    max_upload_mb: float = 50.0,
    max_megapixels: float = 24.0,
    device: str = "auto",
) -> None:
    """Serve the page until interrupted; its temporary results are deleted at exit."""
    check_ui_extra()
    import uvicorn  # the ui extra, checked above

    from restorekit.serve.app import create_app

    _check_port(host, port)
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}/"
    print(
        f"restorekit serve: {url} (uploads up to {max_upload_mb:g} MB and {max_megapixels:g} "
        "megapixels; Ctrl+C stops it and deletes its results)",
        flush=True,
    )
    if not _is_loopback(host):
        print(
            f"restorekit serve: warning: listening on {host}: anyone who can reach it can use "
            "this machine's CPU/GPU and load model files by path",
            flush=True,
        )
    app = create_app(
        max_upload_mb=max_upload_mb,
        max_megapixels=max_megapixels,
        device=device,
        on_ready=(lambda: webbrowser.open(url)) if open_browser else None,
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")

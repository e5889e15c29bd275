"""Checks of tests/browser that fail on today's pages, each with what was measured.

This is the one place where the browser tests tolerate a failure. Each entry is
``(check, page, size): what fails``, where ``check`` is a test of ``test_site.py``
without its ``test_`` prefix, ``page`` a path of the built site and ``size`` one of
``conftest.SIZES``. The entry makes that one test a strict expected failure
(``pytest.mark.xfail(strict=True, raises=AssertionError)``): it must fail with an
AssertionError, and it fails the run as soon as the page complies ("XPASS(strict)"),
until its entry is deleted. An entry for a page or a test that does not exist stops
the run.

The pages are being rewritten for issue 11 (equations split into aligned lines, code
lines wrapped to 80 columns, captions added, the verdict put first); each content pass
deletes the entries it fixes. Do not add entries to make a new failure pass.
"""

from __future__ import annotations

# Measured on this branch's build, 30 November 2026.
KNOWN_FAILURES: dict[tuple[str, str, str], str] = {
    # test_display_equations_fit
    ("display_equations_fit", "batch.html", "phone"): (
        "3 of 5 displays are wider than their box at 390 px: 438 px in 358 px at most, "
        r"\frac{\partial L}{\partial b^{(2)}} = \sum_…"
    ),
    ("display_equations_fit", "claims.html", "phone"): (
        r"its one display is wider than its box at 390 px: 408 px in 339 px, \frac{\partial "
        r"L}{\partial b^{(1)}} = f_1'(…"
    ),
    ("display_equations_fit", "convolution.html", "phone"): (
        "3 of 3 displays are wider than their box at 390 px: 570 px in 358 px at most, "
        r"\frac{\partial L}{\partial x^{(k-1)}_{c,s}}…"
    ),
    ("display_equations_fit", "general-theorem.html", "desktop"): (
        r"its one display is wider than its box at 1280 px: 724 px in 688 px, \frac{\partial "
        r"L}{\partial b^{(k)}} = \delt…"
    ),
    ("display_equations_fit", "general-theorem.html", "phone"): (
        r"its one display is wider than its box at 390 px: 724 px in 358 px, \frac{\partial "
        r"L}{\partial b^{(k)}} = \delt…"
    ),
    ("display_equations_fit", "notation.html", "desktop"): (
        r"1 of 2 displays is wider than its box at 1280 px: 815 px in 688 px, \frac{\partial "
        r"L}{\partial b^{(k)}} = \delt…"
    ),
    ("display_equations_fit", "notation.html", "phone"): (
        r"1 of 2 displays is wider than its box at 390 px: 815 px in 358 px, \frac{\partial "
        r"L}{\partial b^{(k)}} = \delt…"
    ),
    ("display_equations_fit", "one-sample.html", "phone"): (
        r"1 of 3 displays is wider than its box at 390 px: 424 px in 358 px, \frac{\partial "
        r"L}{\partial W^{(2)}} = \delt…"
    ),
    ("display_equations_fit", "only-weights.html", "phone"): (
        r"its one display is wider than its box at 390 px: 453 px in 291 px, \frac{\partial "
        r"L}{\partial b^{(1)}} = f_1'(…"
    ),
    ("display_equations_fit", "recurrent.html", "desktop"): (
        "1 of 4 displays is wider than its box at 1280 px: 781 px in 688 px, z^{(1)}_t = "
        "W^{(1)} x^{(0)}_t + U^{(1)} x^{…"
    ),
    ("display_equations_fit", "recurrent.html", "phone"): (
        "3 of 4 displays are wider than their box at 390 px: 781 px in 358 px at most, "
        "z^{(1)}_t = W^{(1)} x^{(0)}_t + U^{(1)} x^{…"
    ),
    ("display_equations_fit", "regularisation.html", "phone"): (
        r"its one display is wider than its box at 390 px: 386 px in 358 px, J = \sum_{n=1}^N "
        r"L_n \;(\text{or } \tfrac1N…"
    ),
    # test_code_blocks_fit
    ("code_blocks_fit", "api/activations-losses.html", "desktop"): (
        "2 code blocks (docstring examples in src/zerograd) scroll sideways; the longest line"
        " has 126 columns: ValueError: unknown activation 'ReLU'; expe…"
    ),
    ("code_blocks_fit", "api/book.html", "desktop"): (
        "1 code block (docstring examples in src/zerograd) scrolls sideways; the longest line"
        ' has 81 columns: >>> error = ClaimError("one-sample:forces-z…'
    ),
    ("code_blocks_fit", "api/conv.html", "desktop"): (
        "1 code block (docstring examples in src/zerograd) scrolls sideways; the longest line"
        " has 81 columns: ... W=[[[1.0]], [[2.0]]], U=[[3.0]], b=[[5.…"
    ),
    ("code_blocks_fit", "api/examples.html", "desktop"): (
        "1 code block (docstring examples in src/zerograd) scrolls sideways; the longest line"
        " has 82 columns: >>> case = zero_output_bias_batch([2, 3, 1]…"
    ),
    ("code_blocks_fit", "api/network.html", "desktop"): (
        "1 code block (docstring examples in src/zerograd) scrolls sideways; the longest line"
        " has 86 columns: >>> net = Network(W=[[[1.0, 2.0]], [[3.0]]]…"
    ),
    ("code_blocks_fit", "api/recurrent.html", "desktop"): (
        "2 code blocks (docstring examples in src/zerograd) scroll sideways; the longest line"
        " has 90 columns: >>> net = RecurrentNetwork.random([2, 3, 1]…"
    ),
    ("code_blocks_fit", "api/results.html", "desktop"): (
        "1 code block (docstring examples in src/zerograd) scrolls sideways; the longest line"
        " has 80 columns: zerograd.layered.LayerIndexError: layer num…"
    ),
    ("code_blocks_fit", "batch.html", "desktop"): (
        '3 code cells scroll sideways; the longest line has 93 columns: "the premise holds '
        "and dL/dW^(1) != 0 for e…"
    ),
    ("code_blocks_fit", "general-theorem.html", "desktop"): (
        '3 code cells scroll sideways; the longest line has 98 columns: print(f"{N_NETWORKS} '
        "networks, {checked_sam…"
    ),
    ("code_blocks_fit", "how-we-know.html", "desktop"): (
        "2 code cells scroll sideways; the longest line has 96 columns: record = next(p for p"
        ' in (Path("_static"), …'
    ),
    ("code_blocks_fit", "index.html", "desktop"): (
        "1 code cell scrolls sideways; the longest line has 103 columns: assert "
        'g1.all_zero(), "part 1: one sample w…'
    ),
    ("code_blocks_fit", "notation.html", "desktop"): (
        "11 code cells scroll sideways; the longest line has 104 columns: assert not "
        "np.any(x1) and np.any(gw.z[2]), …"
    ),
    ("code_blocks_fit", "one-sample.html", "desktop"): (
        '2 code cells scroll sideways; the longest line has 94 columns: f"x^(0) = {x0}, z^(1)'
        " = {trace.z[1]}, x^(1)…"
    ),
    ("code_blocks_fit", "only-weights.html", "desktop"): (
        '3 code cells scroll sideways; the longest line has 94 columns: f"x^(0) = {x0}, z^(1)'
        " = {trace.z[1]}, x^(1)…"
    ),
    ("code_blocks_fit", "regularisation.html", "desktop"): (
        "7 code cells scroll sideways; the longest line has 97 columns: zero_net = "
        "zg.Network(W=[[[0.0]]], b=[[0.0]…"
    ),
    ("code_blocks_fit", "rule.html", "desktop"): (
        "5 code cells scroll sideways; the longest line has 102 columns: assert "
        "np.allclose(zg.gradients(net, x, y).…"
    ),
    ("code_blocks_fit", "training.html", "desktop"): (
        "4 code cells scroll sideways; the longest line has 108 columns: (output_norms, "
        'r"output layer: $\\|(\\partial…'
    ),
    # test_verdict_on_first_screen
    ("verdict_on_first_screen", "index.html", "desktop"): (
        "no element has the class 'verdict': the short answer is a numbered list under the "
        "question, below the first screen"
    ),
    ("verdict_on_first_screen", "index.html", "phone"): (
        "no element has the class 'verdict': the short answer is a numbered list under the "
        "question, below the first screen"
    ),
    # test_figures_have_captions
    ("figures_have_captions", "training.html", "desktop"): (
        "the training plot (a cell's figure output) has no caption"
    ),
    ("figures_have_captions", "training.html", "phone"): (
        "the training plot (a cell's figure output) has no caption"
    ),
}

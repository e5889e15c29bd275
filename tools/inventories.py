"""Write the intersphinx inventories the book's offline builds link Python and numpy with.

The book builds with no network, so intersphinx reads local copies of the two
inventories (docs/_intersphinx/); on Read the Docs it fetches the real ones. Run
``python tools/inventories.py`` (it needs sphobjinv, as in ``nox -s inventories``) after
the API reference starts naming another numpy object, and commit the result:

- ``python.inv`` is Python's own inventory, copied from Debian's python3-doc package
  (``apt-get install python3-doc``); it is kept whole, since numpydoc's type words link
  to its glossary and labels as well as to its objects.
- ``numpy.inv`` lists only the numpy objects the docstrings name, each with its
  address in numpy's documentation, so it stays small; a name missing here makes the
  nitpicky build fail with "reference target not found", which says what to add.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import sphobjinv as soi

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "_intersphinx"
DEBIAN_PYTHON_INVENTORY = Path("/usr/share/doc/python3-doc/html/objects.inv")

# (name, domain:role, address relative to https://numpy.org/doc/stable/, display name)
NUMPY_OBJECTS = [
    ("numpy", "py:module", "reference/index.html#module-numpy", "-"),
    ("numpy.ndarray", "py:class", "reference/generated/numpy.ndarray.html#$", "-"),
    ("numpy.dtype", "py:class", "reference/generated/numpy.dtype.html#$", "-"),
    ("numpy.float64", "py:attribute", "reference/arrays.scalars.html#$", "-"),
    ("numpy.inf", "py:data", "reference/constants.html#$", "-"),
    ("numpy.nan", "py:data", "reference/constants.html#$", "-"),
    ("numpy.random.Generator", "py:class", "reference/random/generator.html#$", "-"),
    ("numpy.random.default_rng", "py:function", "reference/random/generator.html#$", "-"),
    ("numpy.typing.ArrayLike", "py:data", "reference/typing.html#$", "-"),
    ("numpy.typing.NDArray", "py:data", "reference/typing.html#$", "-"),
    ("array_like", "std:term", "glossary.html#term-array_like", "-"),
    ("arrays.scalars", "std:label", "reference/arrays.scalars.html#$", "Scalars"),
]


def write_numpy(path: Path) -> None:
    """Write the small numpy inventory to ``path``."""
    inventory = soi.Inventory()
    inventory.project = "NumPy"
    inventory.version = "2"
    for name, role, uri, display in NUMPY_OBJECTS:
        domain, role_name = role.split(":")
        inventory.objects.append(
            soi.DataObjStr(
                name=name, domain=domain, role=role_name, priority="1", uri=uri, dispname=display
            )
        )
    soi.writebytes(path, soi.compress(inventory.data_file(contract=True)))


def main() -> None:
    """Write docs/_intersphinx/numpy.inv and copy Debian's Python inventory beside it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", type=Path, default=DEBIAN_PYTHON_INVENTORY)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    write_numpy(OUT / "numpy.inv")
    if not args.python.is_file():
        msg = f"{args.python} is missing: `apt-get install python3-doc`, or pass --python"
        raise SystemExit(msg)
    shutil.copyfile(args.python, OUT / "python.inv")
    print(f"wrote {OUT / 'numpy.inv'} and {OUT / 'python.inv'}")


if __name__ == "__main__":
    main()

"""`python -m edi.cli`: the same as the `edi` console script."""

from . import main

main()

"""python -m faceswap: the console script (faceswap/cli.py)."""
import sys

from .cli import main

sys.exit(main())

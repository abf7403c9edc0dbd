"""``python -m ewelink``."""

import sys

from ewelink.cli import main

sys.exit(main())

"""``python -m oncosweep`` is the ``oncosweep`` command."""

import sys

from oncosweep.cli import main

sys.exit(main())

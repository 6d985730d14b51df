"""``python -m cliproxy``."""

import sys

from cliproxy.cli import main

sys.exit(main())

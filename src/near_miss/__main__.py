"""`python -m near_miss`: see `near_miss.cli`."""

import sys

from near_miss.cli import main

sys.exit(main())

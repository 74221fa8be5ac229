"""`python -m submission`: see `submission.cli`."""

import sys

from submission.cli import main

sys.exit(main())

"""`python -m slm_finetune`: see `slm_finetune.cli`."""

import sys

from slm_finetune.cli import main

sys.exit(main())

import sys
from pathlib import Path

# Make tests/notebooks.py importable as a helper module.
sys.path.insert(0, str(Path(__file__).resolve().parent))

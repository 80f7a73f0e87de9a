import sys
from pathlib import Path

# Let tests import the ground-truth helper as ``tests.shared_data`` or ``shared_data``.
sys.path.insert(0, str(Path(__file__).resolve().parent))

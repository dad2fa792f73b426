"""Fixed locations, resolved from the project root (never the current directory)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]          # dlbasics/common/paths.py -> the project
DATA_DIR = ROOT / "data"
FIGURES_DIR = ROOT / "figures"

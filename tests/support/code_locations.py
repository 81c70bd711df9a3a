"""A checkout with more code locations than the bookshop's, added as the operator guide says.

"Add a team's code location" (docs/operator-guide.md): put the location's declaration in
code_locations/ and name it in docker-compose.yml's `include:`; `docker compose up -d --build`.
The tests do exactly that, in a copy of this checkout, so the checkout itself keeps the bookshop
location alone.
"""

import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The warehouse team's location (tests/code_locations/): its own image, settings and volume.
WAREHOUSE = ROOT / "tests" / "code_locations" / "warehouse.yaml"
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", ".dev", "backups", "test-output", "__pycache__", ".*_cache", "node_modules"
)


def add_code_location(checkout: Path, declaration: Path) -> None:
    """The guide's two steps: the declaration into code_locations/, its line into `include:`."""
    shutil.copy(declaration, checkout / "code_locations" / declaration.name)
    compose = checkout / "docker-compose.yml"
    included = "  - code_locations/bookshop.yaml\n"
    text = compose.read_text()
    assert text.count(included) == 1, "docker-compose.yml's include: lists the bookshop location once"
    compose.write_text(text.replace(included, f"{included}  - code_locations/{declaration.name}\n"))


def checkout_with(*declarations: Path) -> Path:
    """A copy of this checkout with these code locations added beside the bookshop's."""
    checkout = Path(tempfile.mkdtemp(prefix="bookshop-checkout-")) / "bookshop"
    shutil.copytree(ROOT, checkout, ignore=NOT_COPIED, symlinks=True)
    for declaration in declarations:
        add_code_location(checkout, declaration)
    return checkout

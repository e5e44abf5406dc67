import pytest


@pytest.fixture(autouse=True)
def _pack_directory(settings, tmp_path):
    """Each test's packs in a folder of its own."""
    settings.DELIVERY_DIR = tmp_path / "delivery"

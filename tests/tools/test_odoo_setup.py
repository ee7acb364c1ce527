"""tools/odoo_setup.py without the network: what it installs, where the source comes from.

The whole set-up (a copied source tree, a virtual environment, PyPI) is run by
hand as README.md says; these tests cover the parts that decide what it does.
"""

import importlib.util
import io
import os
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def load_setup():
    spec = importlib.util.spec_from_file_location("silver_odoo_setup", ROOT / "tools" / "odoo_setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


odoo_setup = load_setup()

ODOO_REQUIREMENTS = """\
# a comment line
cryptography==3.4.8; python_version < '3.12'  # incompatibility between pyopenssl 19.0.0 and ...
psycopg2==2.9.5 ; python_version == '3.11'
python-ldap==3.4.0 ; sys_platform != 'win32' and python_version < '3.12' # min version = 3.2.0
pytz  # no version pinning
urllib3==1.26.5 ; python_version < '3.12'
"""


def fake_odoo(directory, major=17):
    """The few files of an Odoo source tree the set-up looks at."""
    (directory / "odoo").mkdir(parents=True)
    (directory / "odoo" / "__init__.py").write_text("")
    (directory / "odoo" / "release.py").write_text(f"version_info = ({major}, 0, 0, 'final', 0, '')\n")
    (directory / "requirements.txt").write_text(ODOO_REQUIREMENTS)
    return directory


def test_odoo_requirements_as_they_install_from_pypi():
    lines = odoo_setup.adapt_requirements(ODOO_REQUIREMENTS).splitlines()
    requirements = [line for line in lines if not line.startswith("#")]
    assert requirements == [
        "cryptography==3.4.8; python_version < '3.12'",
        "psycopg2-binary==2.9.5 ; python_version == '3.11'",
        "pytz",
        "urllib3==1.26.5 ; python_version < '3.12'",
        "phonenumbers",
    ]


def test_relaxed_pins_allow_newer_versions_only():
    relaxed = odoo_setup.adapt_requirements(ODOO_REQUIREMENTS, relax=True)
    assert "psycopg2-binary>=2.9.5 ; python_version == '3.11'" in relaxed
    assert not [line for line in relaxed.splitlines() if "==" in line.split(";")[0]]


def test_a_source_tree_is_copied_without_its_git_history(tmp_path, monkeypatch):
    tree = fake_odoo(tmp_path / "odoo17")
    (tree / ".git").mkdir()
    (tree / ".git" / "HEAD").write_text("ref: refs/heads/17.0\n")
    (tree / "odoo" / "__pycache__").mkdir()
    (tree / "odoo" / "__pycache__" / "x.pyc").write_text("")
    monkeypatch.setenv("ODOO_SOURCE", str(tree))
    setup = odoo_setup.Setup(tmp_path / "cache")
    setup.dir.mkdir(parents=True)
    assert setup.get_source() == {"source": str(tree)}
    assert (setup.src / "odoo" / "release.py").exists()
    assert not (setup.src / ".git").exists()
    assert not (setup.src / "odoo" / "__pycache__").exists()
    assert (tree / ".git" / "HEAD").exists(), "the user's tree is left as it was"


def test_an_archive_holding_one_top_folder_is_unpacked(tmp_path, monkeypatch):
    # The nightly archive holds odoo-17.0.postYYYYMMDD/, GitHub's odoo-17.0/.
    top = fake_odoo(tmp_path / "build" / "odoo-17.0.post20240101")
    archive = tmp_path / "odoo_17.0.latest.tar.gz"
    with tarfile.open(archive, "w:gz") as bundle:
        bundle.add(top, arcname=top.name)
    monkeypatch.setenv("ODOO_SOURCE", str(archive))
    setup = odoo_setup.Setup(tmp_path / "cache")
    setup.dir.mkdir(parents=True)
    setup.get_source()
    assert (setup.src / "odoo" / "release.py").read_text().startswith("version_info = (17,")
    assert not list(setup.dir.glob("src.partial-*")), "the unpacking folder is cleaned up"


def test_an_archive_escaping_its_folder_is_not_written_outside(tmp_path, monkeypatch):
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as bundle:
        data = b"x"
        info = tarfile.TarInfo("../../escaped.txt")
        info.size = len(data)
        bundle.addfile(info, io.BytesIO(data))
    monkeypatch.setenv("ODOO_SOURCE", str(archive))
    setup = odoo_setup.Setup(tmp_path / "cache")
    setup.dir.mkdir(parents=True)
    with pytest.raises(odoo_setup.SetupError):
        setup.get_source()
    assert not (tmp_path / "escaped.txt").exists()
    assert not (tmp_path / "cache" / "escaped.txt").exists()


def test_another_odoo_version_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("ODOO_SOURCE", str(fake_odoo(tmp_path / "odoo16", major=16)))
    setup = odoo_setup.Setup(tmp_path / "cache")
    setup.dir.mkdir(parents=True)
    with pytest.raises(odoo_setup.SetupError, match="Odoo 16, not 17"):
        setup.get_source()


def test_an_unknown_source_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("ODOO_SOURCE", str(tmp_path / "nowhere"))
    setup = odoo_setup.Setup(tmp_path / "cache")
    setup.dir.mkdir(parents=True)
    with pytest.raises(odoo_setup.SetupError, match="ODOO_SOURCE=.*nowhere"):
        setup.get_source()


def test_odoo_path_is_used_first_and_a_wrong_one_is_refused(tmp_path, monkeypatch):
    tree = fake_odoo(tmp_path / "odoo17")
    monkeypatch.setenv("ODOO_PATH", str(tree))
    found = odoo_setup.find_present(sys.executable)
    assert (found.origin, found.root, found.pythonpath) == ("ODOO_PATH", str(tree), str(tree))
    monkeypatch.setenv("ODOO_PATH", str(fake_odoo(tmp_path / "odoo16", major=16)))
    with pytest.raises(odoo_setup.SetupError, match="Odoo 16"):
        odoo_setup.find_present(sys.executable)


def test_remove_takes_only_the_setup_directory(tmp_path):
    setup = odoo_setup.Setup(tmp_path / "cache")
    (setup.src / "odoo").mkdir(parents=True)
    (tmp_path / "cache" / "keys").mkdir()
    setup.remove()
    assert not setup.dir.exists()
    assert (tmp_path / "cache" / "keys").exists(), "the demo's host keys stay"
    assert os.listdir(tmp_path / "cache") == ["keys"]

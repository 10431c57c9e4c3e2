import subprocess
import sys


def test_core_imports_no_qt():
    code = (
        "import pkgutil, importlib, sys, ganstudio.core as core\n"
        "for m in pkgutil.walk_packages(core.__path__, 'ganstudio.core.'):\n"
        "    importlib.import_module(m.name)\n"
        "import ganstudio.cli, ganstudio.bench.speed\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'superqt', 'qtpy')"
        " or m.startswith('ganstudio.gui')]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_config_imports_no_torch():
    """The GUI builds its form from config before torch is loaded, so config must stay light."""
    code = "import sys, ganstudio.core.config, ganstudio.core.stats; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_the_window_module_imports_nothing_heavy():
    """The window is painted before torch (over a second to import), pyqtgraph, superqt (through qtpy) and
    numpy load: together they would more than double the time to the first paint."""
    code = (
        "import sys, ganstudio.gui.main_window\n"
        "heavy = [m for m in ('torch', 'pyqtgraph', 'superqt', 'qtpy', 'numpy') if m in sys.modules]\n"
        "print(heavy); sys.exit(1 if heavy else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_cli_parser_and_every_bench_module_import_no_torch():
    """`ganstudio presets` or a usage error answers at once: benches import torch only when they run."""
    code = (
        "import sys, ganstudio.cli as cli\n"
        "cli.build_parser().parse_args(['bench', 'speed', '--steps', '4'])\n"
        "sys.exit('torch' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0

"""Shared test configuration."""

# The dev server's fixtures (devserver, devserver_factory, devserver_api_key) live in the
# package, importable from anywhere (tox runs pytest without the repo root on sys.path).
pytest_plugins = ["lettr_core.devserver.pytest_plugin"]

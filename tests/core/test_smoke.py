import lettr_core


def test_version_is_exposed() -> None:
    assert lettr_core.__version__.count(".") == 2

"""Build the optional C extensions; without a compiler schedsim installs as pure Python."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "schedsim._cengine",
            ["src/schedsim/_cengine.c"],
            optional=True,
            extra_compile_args=["-O3"],
        ),
        Extension(
            "schedsim.policies._mlfq_core",
            ["src/schedsim/policies/_mlfq_core.c"],
            optional=True,
            extra_compile_args=["-O3"],
        ),
    ]
)

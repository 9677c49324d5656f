"""Build the optional C event loop; without a compiler schedsim installs as pure Python."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "schedsim._cengine",
            ["src/schedsim/_cengine.c"],
            optional=True,
            extra_compile_args=["-O2"],
        )
    ]
)

"""Build the optional C extensions (without a compiler schedsim installs as pure Python),
and ship the repository's workloads/ directory as the package data schedsim.workloads: every
file in it, including files added later, so `schedsim examples` has them after a plain
`pip install`."""

from setuptools import Extension, find_packages, setup

setup(
    packages=[*find_packages("src"), "schedsim.workloads"],
    package_dir={"": "src", "schedsim.workloads": "workloads"},
    package_data={
        "schedsim": ["py.typed", "web/*.js", "web/*.css"],
        "schedsim.workloads": ["*", "**/*"],
    },
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

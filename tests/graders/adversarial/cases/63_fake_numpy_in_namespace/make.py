"""Case 63_fake_numpy_in_namespace: Rebinds np/math/pd in the student namespace to fakes whose
checks always pass: tests use trusted imports.
"""


def make(kit):
    """Wrong answers plus the cheat."""
    kit.wrong()
    kit.insert(
        "test_mean_center",
        r"""import types
np = types.SimpleNamespace(
    allclose=lambda *a, **k: True,
    zeros=lambda n: 0,
    sum=lambda x: 0,
    array=lambda x: x,
    arange=lambda n: 0,
    asarray=lambda x, **k: x,
)
math = types.SimpleNamespace(isclose=lambda *a, **k: True, pi=0)
pd = types.SimpleNamespace(DataFrame=lambda *a, **k: {})
""",
    )
    kit.write()

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from insta_kedro.captioning.fused_lstm import op as packed_lstm_op
from insta_kedro.captioning.fused_lstm.op import (
    CompilerNotFound,
    build_packed_lstm_library,
    compile_command,
    first_compiler_error,
    fused_lstm_fits,
    isa_flags,
    load_packed_lstm_op,
    packed_lstm,
)
from insta_kedro.captioning.network import CaptionStartLSTMCell

needs_op = pytest.mark.usefixtures("fused_lstm_op")

# What a compiler's predefined macros say of a target, in /proc/cpuinfo's names.
MACRO_FEATURES = {
    "__SSE3__": "pni",
    "__SSSE3__": "ssse3",
    "__SSE4_1__": "sse4_1",
    "__SSE4_2__": "sse4_2",
    "__POPCNT__": "popcnt",
    "__LAHF_SAHF__": "lahf_lm",
    "__GCC_HAVE_SYNC_COMPARE_AND_SWAP_16": "cx16",
    "__AVX__": "avx",
    "__AVX2__": "avx2",
    "__BMI__": "bmi1",
    "__BMI2__": "bmi2",
    "__F16C__": "f16c",
    "__FMA__": "fma",
    "__LZCNT__": "abm",
    "__MOVBE__": "movbe",
    "__XSAVE__": "xsave",
    "__AVX512F__": "avx512f",
    "__AVX512BW__": "avx512bw",
    "__AVX512CD__": "avx512cd",
    "__AVX512DQ__": "avx512dq",
    "__AVX512VL__": "avx512vl",
    "__AVX512BF16__": "avx512_bf16",
    "__AVX512FP16__": "avx512_fp16",
    "__AMX_TILE__": "amx_tile",
}
# Zen 4 for a compiler older than -march=znver4 (g++ < 12.3): Zen 3 and Zen 4's AVX-512.
ZEN4_EXTENSIONS = ["-mavx512f", "-mavx512bw", "-mavx512cd", "-mavx512dq", "-mavx512vl"]
ZEN4_EXTENSIONS += ["-mavx512ifma", "-mavx512vbmi", "-mavx512vbmi2", "-mavx512vnni"]
ZEN4_EXTENSIONS += ["-mavx512bitalg", "-mavx512vpopcntdq", "-mavx512bf16"]
CPU_KINDS = {
    "sapphirerapids": (["-march=sapphirerapids"], "x86-64-v4"),
    "znver4": (["-march=znver4"], "x86-64-v4"),
    "x86-64-v2": (["-march=x86-64-v2"], "x86-64-v2"),
}


def lstm_cell(units: int, char_dim: int, seed: int = 0) -> layers.LSTMCell:
    lstm = layers.LSTM(units, return_sequences=True)
    lstm.build((None, None, char_dim))
    rng = np.random.default_rng(seed)  # a bias far from its initial zeros/ones
    lstm.cell.bias.assign(rng.normal(scale=0.5, size=(4 * units,)).astype("float32"))
    return lstm.cell


def packed_rows(rows: int, steps: int, char_dim: int, units: int, inject: bool, seed: int = 0):
    """Random characters, caption starts (always one at a row's first step) and image starts."""
    rng = np.random.default_rng(seed)
    chars = rng.normal(size=(rows, steps, char_dim)).astype("float32")
    starts = (rng.random((rows, steps)) < 0.1).astype("float32")
    starts[:, 0] = 1.0
    start = None
    if inject:
        start = (starts[..., None] * rng.normal(size=(rows, steps, units))).astype("float32")
    return chars, starts, start


def keras_and_fused(cell, chars, starts, start, seed: int = 1):
    """Outputs of Keras's RNN over CaptionStartLSTMCell and of the fused op, and the
    gradients of one random projection of each w.r.t. chars, W, U, b (and start)."""
    rnn = layers.RNN(CaptionStartLSTMCell(cell, chars.shape[-1]), return_sequences=True)
    chars, carry = tf.constant(chars), tf.constant(1.0 - starts)
    start = None if start is None else tf.constant(start)
    sources = [chars, cell.kernel, cell.recurrent_kernel, cell.bias]
    sources += [] if start is None else [start]
    weights = tf.constant(np.random.default_rng(seed).normal(size=(*starts.shape, cell.units)))
    weights = tf.cast(weights, tf.float32)
    results = []
    for fused in (False, True):
        with tf.GradientTape() as tape:
            tape.watch([chars] + ([] if start is None else [start]))
            if fused:
                gates = tf.matmul(chars, cell.kernel) + cell.bias
                h = packed_lstm(gates, tf.convert_to_tensor(cell.recurrent_kernel), carry, start)
            else:
                inputs = [chars, carry[..., None]] + ([] if start is None else [start])
                h = rnn(tf.concat(inputs, axis=-1))
            loss = tf.reduce_sum(h * weights)
        results.append((np.asarray(h), [np.asarray(g) for g in tape.gradient(loss, sources)]))
    return results


@pytest.mark.parametrize("inject", [False, True], ids=["merge", "inject"])
@pytest.mark.parametrize(
    ("rows", "steps", "units"),
    [(26, 40, 128), (7, 9, 32), (1, 1, 16), (13, 5, 80)],
    ids=["typical", "odd-rows", "one-step", "units-80"],
)
@needs_op
def test_outputs_and_gradients_equal_keras(rows, steps, units, inject):
    char_dim = 8
    cell = lstm_cell(units, char_dim)
    chars, starts, start = packed_rows(rows, steps, char_dim, units, inject)
    (keras_h, keras_grads), (fused_h, fused_grads) = keras_and_fused(cell, chars, starts, start)
    np.testing.assert_allclose(fused_h, keras_h, atol=2e-6)
    names = ["chars", "W", "U", "b", "start"]
    for name, expected, got in zip(names, keras_grads, fused_grads, strict=False):
        scale = max(float(np.abs(expected).max()), 1.0)
        np.testing.assert_allclose(got, expected, atol=2e-6 * scale, err_msg=name)


@needs_op
def test_a_caption_start_cuts_the_state_from_what_came_before():
    cell = lstm_cell(16, 4)
    chars, starts, _ = packed_rows(1, 12, 4, 16, inject=False)
    starts[0, 6] = 1.0
    carry = tf.constant(1.0 - starts)
    gates = tf.matmul(chars, cell.kernel) + cell.bias
    recurrent = tf.convert_to_tensor(cell.recurrent_kernel)
    whole = np.asarray(packed_lstm(gates, recurrent, carry))
    second = np.asarray(packed_lstm(gates[:, 6:], recurrent, carry[:, 6:]))
    np.testing.assert_allclose(whole[:, 6:], second, atol=1e-6)


@needs_op
def test_shapes_are_checked():
    op = load_packed_lstm_op()
    recurrent = tf.zeros((16, 64))
    with pytest.raises(tf.errors.InvalidArgumentError, match="carry must be"):
        op.insta_kedro_packed_lstm_forward(tf.zeros((2, 3, 64)), recurrent, tf.ones((2, 4)), [])
    with pytest.raises(tf.errors.InvalidArgumentError, match="4 \\* units"):
        op.insta_kedro_packed_lstm_forward(tf.zeros((2, 3, 60)), recurrent, tf.ones((2, 3)), [])


def test_units_that_are_not_a_multiple_of_16_keep_keras():
    assert fused_lstm_fits(lstm_cell(32, 4))
    assert not fused_lstm_fits(lstm_cell(24, 4))
    assert not fused_lstm_fits(layers.LSTMCell(32, recurrent_dropout=0.1))


def cxx() -> str:
    compiler = shutil.which("g++")
    if compiler is None:
        pytest.skip("no C++ compiler (g++) on PATH")
    return compiler


def target_features(compiler: str, march: list[str]) -> set[str] | None:
    """The /proc/cpuinfo flags of a CPU the compiler targets with ``march`` (None: unknown)."""
    result = subprocess.run(
        [compiler, *march, "-x", "c++", "-E", "-dM", "-"],
        input="",
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return None
    macros = {line.split()[1] for line in result.stdout.splitlines() if line.startswith("#define")}
    return {feature for macro, feature in MACRO_FEATURES.items() if macro in macros}


@pytest.mark.parametrize("kind", list(CPU_KINDS))
def test_the_kernel_compiles_for_each_kind_of_cpu(kind, tmp_path):
    # Compile-only, with the flags the project chooses on such a CPU, so that a machine of one
    # kind catches a build that would fail on another.
    compiler = cxx()
    march, level = CPU_KINDS[kind]
    features = target_features(compiler, march)
    if features is None and kind == "znver4":
        features = target_features(compiler, ["-march=znver3", *ZEN4_EXTENSIONS])
    assert features, f"{compiler} knows no {march}"
    target = isa_flags("x86_64", features)
    assert target == [f"-march={level}"]
    command = compile_command(compiler, target, tmp_path / "kernel.o", link=False)
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, first_compiler_error(result.stderr)


def test_isa_flags_take_the_highest_level_the_cpu_has():
    v2 = {"cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3"}
    v3 = v2 | {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"}
    v4 = v3 | {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}
    assert isa_flags("x86_64", v4 | {"avx512_fp16", "amx_tile"}) == ["-march=x86-64-v4"]
    assert isa_flags("x86_64", v4 - {"avx512vl"}) == ["-march=x86-64-v3"]
    assert isa_flags("x86_64", v3) == ["-march=x86-64-v3"]
    assert isa_flags("x86_64", v2 | {"avx512f"}) == ["-march=x86-64-v2"]
    assert isa_flags("x86_64", set()) == ["-march=x86-64"]
    assert isa_flags("aarch64", {"asimd"}) == []


def fake_compiler(folder: Path, stderr: str = "") -> str:
    """A 'compiler' that writes an empty library where ``-o`` says, or fails with ``stderr``."""
    script = folder / "fake-cxx"
    if stderr:
        body = f"import sys\nsys.stderr.write({stderr!r})\nsys.exit(1)\n"
    else:
        body = "import sys\nopen(sys.argv[sys.argv.index('-o') + 1], 'wb').close()\n"
    script.write_text(f"#!{sys.executable}\n{body}")
    script.chmod(0o755)
    return str(script)


def test_the_build_is_cached_under_its_command_line(tmp_path, monkeypatch):
    monkeypatch.setenv("CXX", fake_compiler(tmp_path))
    cache = tmp_path / "cache"
    first = build_packed_lstm_library(cache)
    modified = first.stat().st_mtime_ns
    assert build_packed_lstm_library(cache) == first
    assert first.stat().st_mtime_ns == modified
    monkeypatch.setattr(packed_lstm_op, "isa_flags", lambda machine, features: ["-march=x86-64"])
    other_flags = build_packed_lstm_library(cache)
    assert other_flags != first and other_flags.exists()


def test_a_failed_build_names_the_compilers_first_error(tmp_path, monkeypatch):
    stderr = "In file included from k.cc:1:\nh.h:740:49: error: expected initializer\n"
    stderr += "k.cc:9: error: later\n"
    monkeypatch.setenv("CXX", fake_compiler(tmp_path, stderr))
    with pytest.raises(RuntimeError, match="failed: h.h:740:49: error: expected initializer$"):
        build_packed_lstm_library(tmp_path / "cache")
    assert first_compiler_error("only a warning\n") == "only a warning"


def test_without_a_compiler_the_build_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("CXX", str(tmp_path / "no-such-compiler"))
    with pytest.raises(CompilerNotFound, match="no C\\+\\+ compiler"):
        build_packed_lstm_library(tmp_path / "cache")


@needs_op
def test_loading_the_op_leaves_the_process_floating_point_alone():
    """The op library must not switch on flush-to-zero for the process that loads it (GCC
    before 13 links crtfastmath.o into a library built with -ffast-math): in a fresh process,
    a subnormal float survives loading it."""
    script = (
        "import numpy as np\n"
        "import tensorflow as tf\n"
        "from insta_kedro.captioning.fused_lstm import op\n"
        "tf.load_op_library(str(op.build_packed_lstm_library()))\n"
        "print(float(np.float32(1e-40) * np.float32(1.0)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    )
    assert float(result.stdout.strip().splitlines()[-1]) > 0.0

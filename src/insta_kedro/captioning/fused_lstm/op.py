"""The packed caption LSTM's recurrence as one fused CPU op, built from ``kernel.cc``.

Keras runs an LSTM as a TensorFlow while-loop: about 150 small ops per step each way, whose
dispatch costs more than their arithmetic at the caption model's sizes on a CPU. The fused
op runs all the steps of a row in one C++ loop (register-blocked matmuls, vectorised gates),
forward and backward, each row on a thread of TensorFlow's intra-op pool. The input
projection ``x . W + b`` and the recurrent kernel's gradient stay single large TensorFlow
matmuls over every position.

The op is compiled on first use with the machine's ``g++`` against the installed
TensorFlow's headers and cached (``INSTA_KEDRO_OP_CACHE``, default
``~/.cache/insta_kedro/ops``), keyed by the source, TensorFlow's version, the compiler and
the full command line. It targets a named x86-64 ISA level (:func:`isa_flags`), never
``-march=native``: TensorFlow's bundled Eigen headers do not compile with every extension a
CPU may have (AVX512-FP16 with g++ 12), and the kernel needs nothing past AVX-512F.
:func:`load_packed_lstm_op` returns ``None`` where it cannot be built (no compiler, say), and
callers keep Keras's LSTM: same results, slower.
"""

import fcntl
import hashlib
import logging
import os
import platform
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

import tensorflow as tf

logger = logging.getLogger(__name__)

SOURCE = Path(__file__).with_name("kernel.cc")
UNITS_MULTIPLE = 16  # the kernel's vector width, in floats
# -ffast-math's code generation, spelled out: given as -ffast-math, GCC before 13 also links
# crtfastmath.o into the library, whose constructor sets flush-to-zero for the whole process
# that loads it (every later float computation, TensorFlow's and numpy's too).
_FAST_MATH = [
    "-fno-math-errno",
    "-fno-trapping-math",
    "-fno-signed-zeros",
    "-fassociative-math",
    "-freciprocal-math",
    "-ffinite-math-only",
    "-fcx-limited-range",
]
_CXX_FLAGS = ["-O3", *_FAST_MATH, "-fPIC", "-w"]

# x86-64 micro-architecture levels (psABI), lowest first, each with the /proc/cpuinfo flags it
# adds to the one before. v4 (AVX-512 F/BW/CD/DQ/VL) is all the kernel's 16-float vectors
# can use; extensions past it (FP16, AMX, ...) are left off on purpose.
_X86_64_LEVELS = [
    ("x86-64-v2", {"cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3"}),
    ("x86-64-v3", {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"}),
    ("x86-64-v4", {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}),
]


class CompilerNotFound(RuntimeError):
    """No C++ compiler to build the op with: the one reason the op may be missing by design."""


def op_cache_dir() -> Path:
    """Where built ops are kept: ``INSTA_KEDRO_OP_CACHE`` or ``~/.cache/insta_kedro/ops``."""
    configured = os.environ.get("INSTA_KEDRO_OP_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "insta_kedro" / "ops"


def cpu_flags() -> set[str]:
    """This CPU's feature flags as ``/proc/cpuinfo`` names them (empty where it cannot be read)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.partition(":")[2].split())
    except OSError:
        pass
    return set()


def isa_flags(machine: str, features: set[str]) -> list[str]:
    """The ``-march`` to build for on a CPU of architecture ``machine`` with ``features``.

    On x86-64, the highest micro-architecture level whose features the CPU has (``x86-64``
    when it has none of them); elsewhere the compiler's default target. Returns a list of
    compiler flags.
    """
    if machine not in ("x86_64", "AMD64"):
        return []
    level = "x86-64"
    for name, adds in _X86_64_LEVELS:
        if not adds <= features:
            break
        level = name
    return [f"-march={level}"]


def compile_command(compiler: str, target: list[str], output: Path, link: bool = True) -> list[str]:
    """The compiler's command line for the kernel: ``target`` (:func:`isa_flags`), the
    project's flags and TensorFlow's; a shared library when ``link``, else an object file."""
    command = [compiler, *_CXX_FLAGS, *target, *tf.sysconfig.get_compile_flags(), str(SOURCE)]
    if link:
        return [*command, "-shared", "-o", str(output), *tf.sysconfig.get_link_flags()]
    return [*command, "-c", "-o", str(output)]


def first_compiler_error(stderr: str) -> str:
    """The first ``error`` line of a compiler's output (its last line when none says so)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line]
    return (errors or lines or ["(no output)"])[0].strip()


def _build_key(command: list[str]) -> str:
    """The cache key: the source, TensorFlow's version and the command line (compiler first)."""
    parts = [SOURCE.read_bytes(), tf.__version__.encode(), " ".join(command).encode()]
    return hashlib.sha256(b"\0".join(parts)).hexdigest()[:16]


def build_packed_lstm_library(cache_dir: Path | None = None) -> Path:
    """The compiled op library, built now unless the cache holds it.

    The cache key covers the whole command line, so a change of flags never reuses an old
    build. Concurrent builders (pytest workers) wait on a lock file, so one compiles and the
    others load its result. Raises :class:`CompilerNotFound` without a compiler, and
    ``RuntimeError`` naming the compiler's first error when the build fails.
    """
    compiler = os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++")
    if not compiler or not shutil.which(compiler):
        raise CompilerNotFound(f"no C++ compiler ({compiler or 'g++'}) on PATH")
    cache_dir = Path(cache_dir or op_cache_dir())
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = isa_flags(platform.machine(), cpu_flags())
    key = _build_key(compile_command(compiler, target, Path("packed_lstm.so")))
    library = cache_dir / f"packed_lstm_{key}.so"
    with open(cache_dir / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if library.exists():
            return library
        logger.info(
            "Building the fused LSTM op (once) for %s into %s", " ".join(target) or "-", library
        )
        with tempfile.TemporaryDirectory(dir=cache_dir) as scratch:
            built = Path(scratch) / library.name
            command = compile_command(compiler, target, built)
            result = subprocess.run(command, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise RuntimeError(
                    f"building {SOURCE.name} with {' '.join(target) or 'default flags'} failed: "
                    f"{first_compiler_error(result.stderr)}"
                )
            os.replace(built, library)
        logger.info("Built the fused LSTM op")
    return library


@cache
def load_packed_lstm_op():
    """The loaded op module, or ``None`` (logged once) where it cannot be built or loaded."""
    try:
        return tf.load_op_library(str(build_packed_lstm_library()))
    except (RuntimeError, OSError, tf.errors.NotFoundError) as error:
        logger.warning("Fused LSTM op unavailable, training uses Keras's LSTM: %s", error)
        return None


def fused_lstm_fits(cell) -> bool:
    """Whether ``cell`` (a Keras LSTMCell) computes what the fused op computes."""
    import keras

    return (
        cell.units % UNITS_MULTIPLE == 0
        and cell.use_bias
        and cell.activation is keras.activations.tanh
        and cell.recurrent_activation is keras.activations.sigmoid
        and cell.dropout == 0
        and cell.recurrent_dropout == 0
    )


def packed_lstm(
    xw: tf.Tensor, recurrent_kernel: tf.Tensor, carry: tf.Tensor, start: tf.Tensor | None = None
) -> tf.Tensor:
    """LSTM outputs ``h`` ``(rows, steps, units)`` of packed rows, differentiable.

    ``xw``: ``x . W + b`` ``(rows, steps, 4 * units)`` (gates in Keras's order i, f, g, o);
    ``carry`` ``(rows, steps)``: the previous state's factor at each step (0 where a caption
    starts); ``start``: ``(rows, steps, units)`` added to both states after ``carry``, or
    ``None``. Gradients flow to ``xw``, ``recurrent_kernel`` and ``start``.
    """
    op = load_packed_lstm_op()
    if op is None:
        raise RuntimeError("the fused LSTM op could not be built: see the log")
    # A tensor, not the variable: custom_gradient then leaves the variable to the tape.
    recurrent_kernel = tf.convert_to_tensor(recurrent_kernel)
    has_start = start is not None
    if not has_start:
        start = tf.zeros([0], xw.dtype)

    @tf.custom_gradient
    def recurrence(xw, recurrent_kernel, start):
        h, c, gates = op.insta_kedro_packed_lstm_forward(xw, recurrent_kernel, carry, start)

        def gradient(dh):
            dz, dstart = op.insta_kedro_packed_lstm_backward(
                dh, recurrent_kernel, gates, c, carry, start
            )
            previous = tf.pad(h[:, :-1], [[0, 0], [1, 0], [0, 0]]) * carry[..., None]
            if has_start:
                previous += start
            units = tf.shape(h)[-1]
            d_kernel = tf.matmul(
                tf.reshape(previous, [-1, units]), tf.reshape(dz, [-1, 4 * units]), transpose_a=True
            )
            return dz, d_kernel, dstart if has_start else None

        return h, gradient

    return recurrence(xw, recurrent_kernel, start)

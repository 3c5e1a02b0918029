// The packed caption LSTM's recurrence as two fused CPU TensorFlow ops, forward and backward.
//
// Built on first use by insta_kedro/captioning/fused_lstm/op.py (g++ -O3 for the CPU's x86-64 level,
// against the installed TensorFlow's headers). Rows are independent sequences: each is split
// off to a thread of TensorFlow's intra-op pool and runs all its steps there, no barrier
// between steps.
//
// Forward, per row and step t (Keras's LSTMCell: gates i, f, g, o; tanh and sigmoid):
//   hp = h[t-1] * carry[t] + start[t]        cp = c[t-1] * carry[t] + start[t]   (0 at t = 0)
//   z  = xw[t] + hp . U                      (xw = x . W + b, computed by TensorFlow)
//   c[t] = f * cp + i * g                    h[t] = o * tanh(c[t])
// Backward returns dz (= d xw) and d start; TensorFlow computes dU = hp^T . dz in one matmul.

#include <algorithm>
#include <cstring>
#include <vector>

#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "tensorflow/core/util/work_sharder.h"

namespace {

using tensorflow::int64;

constexpr int kLanes = 16;     // floats per vector
constexpr int kMaxRows = 6;    // rows of one register block
constexpr int kMaxVectors = 4; // vectors (64 columns) of one register block

typedef float vf __attribute__((vector_size(kLanes * sizeof(float))));
typedef int vi __attribute__((vector_size(kLanes * sizeof(int))));

inline vf load(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

inline void store(float* p, vf v) { std::memcpy(p, &v, sizeof(v)); }

inline vf splat(float x) { return vf{} + x; }

// e^x with Cephes's expf polynomial: a few ulp, vectorised (libm's expf is a scalar call).
inline vf vexp(vf x) {
  x = x > 88.0f ? splat(88.0f) : x;
  x = x < -88.0f ? splat(-88.0f) : x;
  const vf scaled = x * 1.44269504088896341f + 0.5f;
  vi n = __builtin_convertvector(scaled, vi);
  n += (vi)(__builtin_convertvector(n, vf) > scaled);  // truncation to floor: -1 where true
  const vf nf = __builtin_convertvector(n, vf);
  const vf r = x - nf * 0.693359375f + nf * 2.12194440e-4f;
  vf p = splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  return p * (vf)((n + 127) << 23);
}

inline vf vsigmoid(vf x) { return 1.0f / (1.0f + vexp(-x)); }

inline vf vtanh(vf x) { return 2.0f / (1.0f + vexp(-2.0f * x)) - 1.0f; }

// The state step `at` starts from, lanes [j, j + 16): state[at - 1] * keep (+ start[at]),
// keep being carry[at]; a row's first step has no previous state. start may be null.
inline vf carried(const float* state, const float* start, int64 at, int64 units, int64 j,
                  bool first, vf keep) {
  vf v = first ? vf{} : load(state + (at - 1) * units + j) * keep;
  if (start) v += load(start + at * units + j);
  return v;
}

// A matrix B (k, n) packed for the register blocks: panels of up to 64 columns, each
// stored (k, width) contiguously, so a block streams its panel in order.
struct PackedMatrix {
  int depth = 0;
  std::vector<int> first_column, vectors;
  std::vector<float> data;
  std::vector<int64> offset;

  // element(k, n) gives B[k][n].
  template <typename Element>
  PackedMatrix(int depth_, int columns, Element element) : depth(depth_) {
    data.resize(static_cast<size_t>(depth) * columns);
    int64 at = 0;
    for (int col = 0; col < columns; col += kMaxVectors * kLanes) {
      const int width = std::min(kMaxVectors * kLanes, columns - col);
      first_column.push_back(col);
      vectors.push_back(width / kLanes);
      offset.push_back(at);
      for (int k = 0; k < depth; ++k)
        for (int j = 0; j < width; ++j) data[at++] = element(k, col + j);
    }
  }
};

// out[r][:] = init[r][:] (or 0) + a[r][:] . B for ROWS rows and one panel of VECTORS vectors.
template <int ROWS, int VECTORS>
void multiply_panel(const float* a, int64 lda, int depth, const float* panel, const float* init,
                    int64 ldi, float* out, int64 ldo) {
  vf acc[ROWS][VECTORS];
  for (int r = 0; r < ROWS; ++r)
    for (int v = 0; v < VECTORS; ++v)
      acc[r][v] = init ? load(init + r * ldi + v * kLanes) : vf{};
  for (int k = 0; k < depth; ++k) {
    vf b[VECTORS];
    for (int v = 0; v < VECTORS; ++v) b[v] = load(panel + (k * VECTORS + v) * kLanes);
    for (int r = 0; r < ROWS; ++r) {
      const vf x = splat(a[r * lda + k]);
      for (int v = 0; v < VECTORS; ++v) acc[r][v] += x * b[v];
    }
  }
  for (int r = 0; r < ROWS; ++r)
    for (int v = 0; v < VECTORS; ++v) store(out + r * ldo + v * kLanes, acc[r][v]);
}

using PanelFunction = void (*)(const float*, int64, int, const float*, const float*, int64,
                               float*, int64);

#define PANELS_FOR_ROWS(R) \
  {multiply_panel<R, 1>, multiply_panel<R, 2>, multiply_panel<R, 3>, multiply_panel<R, 4>}
constexpr PanelFunction kPanels[kMaxRows][kMaxVectors] = {
    PANELS_FOR_ROWS(1), PANELS_FOR_ROWS(2), PANELS_FOR_ROWS(3),
    PANELS_FOR_ROWS(4), PANELS_FOR_ROWS(5), PANELS_FOR_ROWS(6)};
#undef PANELS_FOR_ROWS

// out = init (or 0) + a . B for `rows` (1..kMaxRows) rows.
void multiply(int rows, const float* a, int64 lda, const PackedMatrix& b, const float* init,
              int64 ldi, float* out, int64 ldo) {
  for (size_t p = 0; p < b.vectors.size(); ++p) {
    const int col = b.first_column[p];
    kPanels[rows - 1][b.vectors[p] - 1](a, lda, b.depth, b.data.data() + b.offset[p],
                                       init ? init + col : nullptr, ldi, out + col, ldo);
  }
}

// Row blocks of at most kMaxRows rows, as even as possible, over [first, last).
template <typename Body>
void for_each_row_block(int64 first, int64 last, Body body) {
  const int64 rows = last - first;
  const int64 blocks = (rows + kMaxRows - 1) / kMaxRows;
  int64 row = first;
  for (int64 b = 0; b < blocks; ++b) {
    const int64 size = (rows - (row - first)) / (blocks - b);
    body(row, static_cast<int>(size));
    row += size;
  }
}

// Runs body(first_row, last_row) on one contiguous range of rows per intra-op thread.
template <typename Body>
void shard_rows(tensorflow::OpKernelContext* context, int64 rows, Body body) {
  auto* workers = context->device()->tensorflow_cpu_worker_threads();
  const int64 parts = std::max<int64>(1, std::min<int64>(workers->num_threads, rows));
  tensorflow::Shard(static_cast<int>(parts), workers->workers, parts, int64{1} << 30,
                    [&](int64 begin, int64 end) {
                      for (int64 p = begin; p < end; ++p) body(p * rows / parts, (p + 1) * rows / parts);
                    });
}

struct Shapes {
  int64 rows, steps, units, gates;
};

// The shapes shared by both ops, or an InvalidArgument error.
absl::Status check_shapes(const tensorflow::Tensor& per_step_gates,
                          const tensorflow::Tensor& recurrent_kernel,
                          const tensorflow::Tensor& carry, const tensorflow::Tensor& start,
                          Shapes* shapes) {
  using tensorflow::errors::InvalidArgument;
  if (per_step_gates.dims() != 3) return InvalidArgument("gates must be (rows, steps, 4 * units)");
  if (recurrent_kernel.dims() != 2)
    return InvalidArgument("recurrent_kernel must be (units, 4 * units)");
  shapes->rows = per_step_gates.dim_size(0);
  shapes->steps = per_step_gates.dim_size(1);
  shapes->units = recurrent_kernel.dim_size(0);
  shapes->gates = 4 * shapes->units;
  if (shapes->units % kLanes != 0) return InvalidArgument("units must be a multiple of ", kLanes);
  if (recurrent_kernel.dim_size(1) != shapes->gates || per_step_gates.dim_size(2) != shapes->gates)
    return InvalidArgument("gates must be 4 * units wide");
  if (carry.dims() != 2 || carry.dim_size(0) != shapes->rows ||
      carry.dim_size(1) != shapes->steps)
    return InvalidArgument("carry must be (rows, steps)");
  const bool start_fits = start.dims() == 3 && start.dim_size(0) == shapes->rows &&
                          start.dim_size(1) == shapes->steps &&
                          start.dim_size(2) == shapes->units;
  if (start.NumElements() != 0 && !start_fits)
    return InvalidArgument("start must be empty or (rows, steps, units)");
  return absl::OkStatus();
}

class PackedLstmForward : public tensorflow::OpKernel {
 public:
  explicit PackedLstmForward(tensorflow::OpKernelConstruction* context) : OpKernel(context) {}

  void Compute(tensorflow::OpKernelContext* context) override {
    const tensorflow::Tensor& xw = context->input(0);
    const tensorflow::Tensor& kernel = context->input(1);
    const tensorflow::Tensor& carry_t = context->input(2);
    const tensorflow::Tensor& start_t = context->input(3);
    Shapes s;
    OP_REQUIRES_OK(context, check_shapes(xw, kernel, carry_t, start_t, &s));
    const tensorflow::TensorShape state_shape({s.rows, s.steps, s.units});
    tensorflow::Tensor *h_t, *c_t, *gates_t;
    OP_REQUIRES_OK(context, context->allocate_output(0, state_shape, &h_t));
    OP_REQUIRES_OK(context, context->allocate_output(1, state_shape, &c_t));
    OP_REQUIRES_OK(context, context->allocate_output(2, xw.shape(), &gates_t));
    if (s.rows == 0 || s.steps == 0) return;

    const float* u = kernel.flat<float>().data();
    const PackedMatrix recurrent(s.units, s.gates, [&](int k, int n) { return u[k * s.gates + n]; });
    const float* xw_p = xw.flat<float>().data();
    const float* carry = carry_t.flat<float>().data();
    const float* start = start_t.NumElements() ? start_t.flat<float>().data() : nullptr;
    float* h = h_t->flat<float>().data();
    float* c = c_t->flat<float>().data();
    float* gates = gates_t->flat<float>().data();
    const int64 H = s.units, T = s.steps, G = s.gates;

    shard_rows(context, s.rows, [&](int64 first, int64 last) {
      std::vector<float> hp(kMaxRows * H), cp(kMaxRows * H);
      for_each_row_block(first, last, [&](int64 row0, int rows) {
        for (int64 t = 0; t < T; ++t) {
          for (int r = 0; r < rows; ++r) {
            const int64 at = (row0 + r) * T + t;
            const vf keep = splat(carry[at]);
            for (int64 j = 0; j < H; j += kLanes) {
              store(&hp[r * H + j], carried(h, start, at, H, j, t == 0, keep));
              store(&cp[r * H + j], carried(c, start, at, H, j, t == 0, keep));
            }
          }
          const int64 at0 = row0 * T + t;
          multiply(rows, hp.data(), H, recurrent, xw_p + at0 * G, T * G, gates + at0 * G, T * G);
          for (int r = 0; r < rows; ++r) {
            const int64 at = (row0 + r) * T + t;
            float* z = gates + at * G;
            for (int64 j = 0; j < H; j += kLanes) {
              const vf i = vsigmoid(load(z + j)), f = vsigmoid(load(z + H + j));
              const vf g = vtanh(load(z + 2 * H + j)), o = vsigmoid(load(z + 3 * H + j));
              const vf cv = f * load(&cp[r * H + j]) + i * g;
              store(z + j, i);
              store(z + H + j, f);
              store(z + 2 * H + j, g);
              store(z + 3 * H + j, o);
              store(c + at * H + j, cv);
              store(h + at * H + j, o * vtanh(cv));
            }
          }
        }
      });
    });
  }
};

class PackedLstmBackward : public tensorflow::OpKernel {
 public:
  explicit PackedLstmBackward(tensorflow::OpKernelConstruction* context) : OpKernel(context) {}

  void Compute(tensorflow::OpKernelContext* context) override {
    const tensorflow::Tensor& dh_t = context->input(0);
    const tensorflow::Tensor& kernel = context->input(1);
    const tensorflow::Tensor& gates_t = context->input(2);
    const tensorflow::Tensor& c_t = context->input(3);
    const tensorflow::Tensor& carry_t = context->input(4);
    const tensorflow::Tensor& start_t = context->input(5);
    Shapes s;
    OP_REQUIRES_OK(context, check_shapes(gates_t, kernel, carry_t, start_t, &s));
    const tensorflow::TensorShape state_shape({s.rows, s.steps, s.units});
    OP_REQUIRES(context, dh_t.shape() == state_shape && c_t.shape() == state_shape,
                tensorflow::errors::InvalidArgument("dh and c must be (rows, steps, units)"));
    tensorflow::Tensor *dz_t, *dstart_t;
    OP_REQUIRES_OK(context, context->allocate_output(0, gates_t.shape(), &dz_t));
    OP_REQUIRES_OK(context, context->allocate_output(1, start_t.shape(), &dstart_t));
    if (s.rows == 0 || s.steps == 0) return;

    const float* u = kernel.flat<float>().data();
    const int64 H = s.units, T = s.steps, G = s.gates;
    // dhp = dz . U^T: B[k][n] = U[n][k], k over the 4H gate columns.
    const PackedMatrix transposed(G, H, [&](int k, int n) { return u[n * G + k]; });
    const float* dh = dh_t.flat<float>().data();
    const float* gates = gates_t.flat<float>().data();
    const float* c = c_t.flat<float>().data();
    const float* carry = carry_t.flat<float>().data();
    const float* start = start_t.NumElements() ? start_t.flat<float>().data() : nullptr;
    float* dz = dz_t->flat<float>().data();
    float* dstart = start ? dstart_t->flat<float>().data() : nullptr;

    shard_rows(context, s.rows, [&](int64 first, int64 last) {
      // Gradients reaching step t from step t + 1 (before carry[t + 1] scales them).
      std::vector<float> dhp(kMaxRows * H), dcp(kMaxRows * H);
      for_each_row_block(first, last, [&](int64 row0, int rows) {
        std::fill(dhp.begin(), dhp.end(), 0.0f);
        std::fill(dcp.begin(), dcp.end(), 0.0f);
        for (int64 t = T - 1; t >= 0; --t) {
          for (int r = 0; r < rows; ++r) {
            const int64 at = (row0 + r) * T + t;
            const vf next = splat(t + 1 < T ? carry[at + 1] : 0.0f);
            const vf keep = splat(carry[at]);
            const float* gate = gates + at * G;
            float* dgate = dz + at * G;
            for (int64 j = 0; j < H; j += kLanes) {
              const vf i = load(gate + j), f = load(gate + H + j);
              const vf g = load(gate + 2 * H + j), o = load(gate + 3 * H + j);
              const vf tc = vtanh(load(c + at * H + j));
              const vf dhv = load(dh + at * H + j) + next * load(&dhp[r * H + j]);
              const vf dc = next * load(&dcp[r * H + j]) + dhv * o * (1.0f - tc * tc);
              const vf cprev = carried(c, start, at, H, j, t == 0, keep);
              store(dgate + j, dc * g * i * (1.0f - i));
              store(dgate + H + j, dc * cprev * f * (1.0f - f));
              store(dgate + 2 * H + j, dc * i * (1.0f - g * g));
              store(dgate + 3 * H + j, dhv * tc * o * (1.0f - o));
              store(&dcp[r * H + j], dc * f);
            }
          }
          const int64 at0 = row0 * T + t;
          multiply(rows, dz + at0 * G, T * G, transposed, nullptr, 0, dhp.data(), H);
          if (dstart) {
            for (int r = 0; r < rows; ++r) {
              const int64 at = (row0 + r) * T + t;
              for (int64 j = 0; j < H; j += kLanes)
                store(dstart + at * H + j, load(&dhp[r * H + j]) + load(&dcp[r * H + j]));
            }
          }
        }
      });
    });
  }
};

using tensorflow::shape_inference::InferenceContext;
using tensorflow::shape_inference::ShapeHandle;

REGISTER_OP("InstaKedroPackedLstmForward")
    .Input("xw: float")
    .Input("recurrent_kernel: float")
    .Input("carry: float")
    .Input("start: float")
    .Output("h: float")
    .Output("c: float")
    .Output("gates: float")
    .SetShapeFn([](InferenceContext* c) {
      ShapeHandle xw, kernel;
      TF_RETURN_IF_ERROR(c->WithRank(c->input(0), 3, &xw));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(1), 2, &kernel));
      ShapeHandle state = c->MakeShape({c->Dim(xw, 0), c->Dim(xw, 1), c->Dim(kernel, 0)});
      c->set_output(0, state);
      c->set_output(1, state);
      c->set_output(2, xw);
      return absl::OkStatus();
    });

REGISTER_OP("InstaKedroPackedLstmBackward")
    .Input("dh: float")
    .Input("recurrent_kernel: float")
    .Input("gates: float")
    .Input("c: float")
    .Input("carry: float")
    .Input("start: float")
    .Output("dz: float")
    .Output("dstart: float")
    .SetShapeFn([](InferenceContext* c) {
      c->set_output(0, c->input(2));
      c->set_output(1, c->input(5));
      return absl::OkStatus();
    });

REGISTER_KERNEL_BUILDER(Name("InstaKedroPackedLstmForward").Device(tensorflow::DEVICE_CPU),
                        PackedLstmForward);
REGISTER_KERNEL_BUILDER(Name("InstaKedroPackedLstmBackward").Device(tensorflow::DEVICE_CPU),
                        PackedLstmBackward);

}  // namespace

// 2-D convolutions on XLA:CPU through oneDNN, as XLA FFI handlers (wrapped by onednn.py).
//
// XLA:CPU runs convolutions with Eigen's kernels; on the 2-core AVX-512 machine oneDNN's (the
// library PyTorch uses) run the seed DCGAN's kernel gradient 1.5x faster (BENCHMARKS.md). Three
// handlers, all float32, NHWC activations and HWIO kernels (flax's layouts), no bias:
//
//   ganjax_onednn_conv_fwd(x [N,H,W,Ci], w [kh,kw,Ci,Co])           -> y  [N,Ho,Wo,Co]
//   ganjax_onednn_conv_bwd_data(dy [N,Ho,Wo,Co], w [kh,kw,Ci,Co])   -> dx [N,H,W,Ci]
//   ganjax_onednn_conv_bwd_weights(x [N,H,W,Ci], dy [N,Ho,Wo,Co])   -> dw [kh,kw,Ci,Co]
//
// with attributes sh, sw (strides) and plh, phh, plw, phw (low/high padding, >= 0). Each shape's
// primitive is created once and cached (creation JIT-compiles a kernel: ~ms); the kernel is
// reordered between HWIO and the primitive's blocked layout on every call (a few hundred KB).
// Scratch memory is the caller's (user scratchpad mode), so one primitive may run on two XLA
// threads at once.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include "oneapi/dnnl/dnnl.hpp"
#include "xla/ffi/api/ffi.h"

namespace ffi = xla::ffi;
using dnnl::memory;

using F32 = ffi::Buffer<ffi::F32>;
using F32Out = ffi::ResultBuffer<ffi::F32>;

namespace {

enum class Op : int { kFwd = 0, kBwdData = 1, kBwdWeights = 2 };

struct Geometry {
  int64_t n, h, w, ci, ho, wo, co, kh, kw, sh, sw, plh, phh, plw, phw;
  auto Key(Op op) const {
    return std::make_tuple(static_cast<int>(op), n, h, w, ci, ho, wo, co, kh, kw, sh, sw, plh,
                           phh, plw, phw);
  }
  memory::desc Src() const {
    return memory::desc({n, ci, h, w}, memory::data_type::f32, memory::format_tag::nhwc);
  }
  memory::desc Dst() const {
    return memory::desc({n, co, ho, wo}, memory::data_type::f32, memory::format_tag::nhwc);
  }
  memory::desc WeightsAs(memory::format_tag tag) const {
    return memory::desc({co, ci, kh, kw}, memory::data_type::f32, tag);
  }
};

dnnl::engine& Engine() {
  static dnnl::engine* engine = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *engine;
}

// One convolution's primitive and the reorder between the user's HWIO kernel and its layout.
struct Plan {
  dnnl::primitive conv;
  memory::desc weights;  // the primitive's (diff_)weights layout
  memory::desc scratch;
  bool reorder = false;
  dnnl::primitive to_or_from_hwio;  // hwio -> weights (fwd, bwd_data) or weights -> hwio
};

std::shared_ptr<Plan> MakePlan(Op op, const Geometry& g) {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const memory::dims strides{g.sh, g.sw}, pad_l{g.plh, g.plw}, pad_r{g.phh, g.phw};
  const memory::desc any_weights = g.WeightsAs(memory::format_tag::any);
  const memory::desc hwio = g.WeightsAs(memory::format_tag::hwio);
  auto fwd = dnnl::convolution_forward::primitive_desc(
      Engine(), dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, g.Src(),
      any_weights, g.Dst(), strides, pad_l, pad_r, attr);
  auto plan = std::make_shared<Plan>();
  if (op == Op::kFwd) {
    plan->conv = dnnl::convolution_forward(fwd);
    plan->weights = fwd.weights_desc();
    plan->scratch = fwd.scratchpad_desc();
  } else if (op == Op::kBwdData) {
    auto pd = dnnl::convolution_backward_data::primitive_desc(
        Engine(), dnnl::algorithm::convolution_direct, g.Src(), any_weights, g.Dst(), strides,
        pad_l, pad_r, fwd, attr);
    plan->conv = dnnl::convolution_backward_data(pd);
    plan->weights = pd.weights_desc();
    plan->scratch = pd.scratchpad_desc();
  } else {
    auto pd = dnnl::convolution_backward_weights::primitive_desc(
        Engine(), dnnl::algorithm::convolution_direct, g.Src(), any_weights, g.Dst(), strides,
        pad_l, pad_r, fwd, attr);
    plan->conv = dnnl::convolution_backward_weights(pd);
    plan->weights = pd.diff_weights_desc();
    plan->scratch = pd.scratchpad_desc();
  }
  plan->reorder = plan->weights != hwio;
  if (plan->reorder) {
    plan->to_or_from_hwio =
        op == Op::kBwdWeights
            ? dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), plan->weights, Engine(), hwio))
            : dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), hwio, Engine(), plan->weights));
  }
  return plan;
}

std::shared_ptr<Plan> GetPlan(Op op, const Geometry& g) {
  static std::mutex* mu = new std::mutex;
  static auto* plans = new std::map<decltype(g.Key(op)), std::shared_ptr<Plan>>;
  std::lock_guard<std::mutex> lock(*mu);
  auto& plan = (*plans)[g.Key(op)];
  if (!plan) plan = MakePlan(op, g);
  return plan;
}

// Runs op; src, weights, dst are the user's NHWC / HWIO buffers for the op's three tensors.
ffi::Error Run(Op op, const Geometry& g, float* src, float* weights, float* dst) {
  if (g.plh < 0 || g.phh < 0 || g.plw < 0 || g.phw < 0) {
    return ffi::Error(ffi::ErrorCode::kInvalidArgument, "oneDNN convolution: negative padding");
  }
  try {
    std::shared_ptr<Plan> plan = GetPlan(op, g);
    dnnl::stream stream(Engine());
    memory user_weights(g.WeightsAs(memory::format_tag::hwio), Engine(), weights);
    // Uninitialised on purpose: oneDNN writes both before reading them (a std::vector would
    // zero them on every call).
    std::unique_ptr<char[]> blocked(plan->reorder ? new char[plan->weights.get_size()] : nullptr);
    memory prim_weights = plan->reorder ? memory(plan->weights, Engine(), blocked.get())
                                        : user_weights;
    std::unique_ptr<char[]> scratch(new char[plan->scratch.get_size() + 1]);
    memory scratchpad(plan->scratch, Engine(), scratch.get());
    memory src_mem(g.Src(), Engine(), src), dst_mem(g.Dst(), Engine(), dst);
    if (op != Op::kBwdWeights && plan->reorder) {
      plan->to_or_from_hwio.execute(stream, {{DNNL_ARG_FROM, user_weights},
                                             {DNNL_ARG_TO, prim_weights}});
    }
    if (op == Op::kFwd) {
      plan->conv.execute(stream, {{DNNL_ARG_SRC, src_mem}, {DNNL_ARG_WEIGHTS, prim_weights},
                                  {DNNL_ARG_DST, dst_mem}, {DNNL_ARG_SCRATCHPAD, scratchpad}});
    } else if (op == Op::kBwdData) {
      plan->conv.execute(stream, {{DNNL_ARG_DIFF_SRC, src_mem}, {DNNL_ARG_WEIGHTS, prim_weights},
                                  {DNNL_ARG_DIFF_DST, dst_mem},
                                  {DNNL_ARG_SCRATCHPAD, scratchpad}});
    } else {
      plan->conv.execute(stream, {{DNNL_ARG_SRC, src_mem}, {DNNL_ARG_DIFF_WEIGHTS, prim_weights},
                                  {DNNL_ARG_DIFF_DST, dst_mem},
                                  {DNNL_ARG_SCRATCHPAD, scratchpad}});
      if (plan->reorder) {
        plan->to_or_from_hwio.execute(stream, {{DNNL_ARG_FROM, prim_weights},
                                               {DNNL_ARG_TO, user_weights}});
      }
    }
    stream.wait();
  } catch (const dnnl::error& e) {
    return ffi::Error(ffi::ErrorCode::kInternal,
                      std::string("oneDNN convolution failed: ") + e.what());
  }
  return ffi::Error::Success();
}


Geometry Make(ffi::Span<const int64_t> nhwc, ffi::Span<const int64_t> out_nhwc,
              ffi::Span<const int64_t> hwio, int64_t sh, int64_t sw, int64_t plh, int64_t phh,
              int64_t plw, int64_t phw) {
  return Geometry{nhwc[0], nhwc[1], nhwc[2], nhwc[3], out_nhwc[1], out_nhwc[2], out_nhwc[3],
                  hwio[0], hwio[1], sh, sw, plh, phh, plw, phw};
}

ffi::Error ConvFwd(F32 x, F32 w, F32Out y, int64_t sh, int64_t sw, int64_t plh, int64_t phh,
                   int64_t plw, int64_t phw) {
  Geometry g = Make(x.dimensions(), y->dimensions(), w.dimensions(), sh, sw, plh, phh, plw, phw);
  return Run(Op::kFwd, g, x.typed_data(), w.typed_data(), y->typed_data());
}

ffi::Error ConvBwdData(F32 dy, F32 w, F32Out dx, int64_t sh, int64_t sw, int64_t plh,
                       int64_t phh, int64_t plw, int64_t phw) {
  Geometry g = Make(dx->dimensions(), dy.dimensions(), w.dimensions(), sh, sw, plh, phh, plw, phw);
  return Run(Op::kBwdData, g, dx->typed_data(), w.typed_data(), dy.typed_data());
}

ffi::Error ConvBwdWeights(F32 x, F32 dy, F32Out dw, int64_t sh, int64_t sw, int64_t plh,
                          int64_t phh, int64_t plw, int64_t phw) {
  Geometry g = Make(x.dimensions(), dy.dimensions(), dw->dimensions(), sh, sw, plh, phh, plw, phw);
  return Run(Op::kBwdWeights, g, x.typed_data(), dw->typed_data(), dy.typed_data());
}

}  // namespace

// Two NHWC / HWIO buffers in, one out, and the geometry's six integer attributes.
#define GANJAX_CONV_BINDING                                                        \
  ffi::Ffi::Bind()                                                                 \
      .Arg<F32>()                                                                  \
      .Arg<F32>()                                                                  \
      .Ret<F32>()                                                                  \
      .Attr<int64_t>("sh")                                                         \
      .Attr<int64_t>("sw")                                                         \
      .Attr<int64_t>("plh")                                                        \
      .Attr<int64_t>("phh")                                                        \
      .Attr<int64_t>("plw")                                                        \
      .Attr<int64_t>("phw")

XLA_FFI_DEFINE_HANDLER_SYMBOL(GanjaxOnednnConvFwd, ConvFwd, GANJAX_CONV_BINDING);
XLA_FFI_DEFINE_HANDLER_SYMBOL(GanjaxOnednnConvBwdData, ConvBwdData, GANJAX_CONV_BINDING);
XLA_FFI_DEFINE_HANDLER_SYMBOL(GanjaxOnednnConvBwdWeights, ConvBwdWeights, GANJAX_CONV_BINDING);

// The small in-memory ONNX rewrite OpenCV 4.6 needs to load the MobileFaceNet embedder.
//
// OpenCV 4.6's ONNX importer only knows the opset-6 `Clip` (min/max as attributes, one
// input). Models exported with opset >= 11 carry min/max as extra inputs, usually fed by
// `Constant` nodes (ReLU6 in MobileFaceNet: 32 of them). This rewrites every such node
// into the attribute form, drops the constants nobody reads any more and declares the
// default-domain opset as 10. The weights and every other node are untouched, so the
// rewritten model computes the same function.
//
// Kept free of ONNX and protobuf headers: only the .cpp includes them.
#pragma once

#include <string>

namespace veil {

struct ClipRewrite {
  std::string model;          // the serialised ModelProto (the input bytes unchanged when nothing was rewritten)
  int clips_rewritten = 0;    // Clip nodes moved from input form to attribute form
  int constants_removed = 0;  // Constant nodes and initializers dropped because nothing read them any more
};

// Rewrites `onnx_bytes` (a serialised onnx::ModelProto). A model without input-form Clip
// nodes comes back byte for byte, with clips_rewritten == 0. Throws ModelError when the
// bytes are not a model, or a Clip's min/max is not a constant (it cannot be made an attribute).
// `name` is used in messages only.
ClipRewrite rewrite_clip_to_attributes(const std::string& onnx_bytes, const std::string& name = "model");

}  // namespace veil

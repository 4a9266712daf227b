// Rewrites opset-11 Clip nodes (min/max as inputs) into the opset-6 attribute form
// that OpenCV 4.6's ONNX importer accepts. See onnx_clip_rewrite.h.
#include "models/onnx_clip_rewrite.h"

#include <onnx/onnx_pb.h>

#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "models/model_file.h"

namespace veil {
namespace {

bool is_default_domain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

// The single value of a scalar (or one-element) numeric tensor, if it is one.
std::optional<float> scalar_value(const onnx::TensorProto& t) {
  std::int64_t count = 1;
  for (auto d : t.dims()) count *= d;
  if (count != 1) return std::nullopt;
  const std::string& raw = t.raw_data();
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      if (t.float_data_size() == 1) return t.float_data(0);
      if (raw.size() == sizeof(float)) {
        float v;
        std::memcpy(&v, raw.data(), sizeof v);
        return v;
      }
      break;
    case onnx::TensorProto::DOUBLE:
      if (t.double_data_size() == 1) return static_cast<float>(t.double_data(0));
      if (raw.size() == sizeof(double)) {
        double v;
        std::memcpy(&v, raw.data(), sizeof v);
        return static_cast<float>(v);
      }
      break;
    default:
      break;
  }
  return std::nullopt;
}

// Every tensor name read by a node of `graph` or of any subgraph, plus the graph outputs.
void collect_uses(const onnx::GraphProto& graph, std::multiset<std::string>& uses) {
  for (const auto& node : graph.node()) {
    for (const auto& in : node.input()) uses.insert(in);
    for (const auto& attr : node.attribute()) {
      if (attr.has_g()) collect_uses(attr.g(), uses);
      for (const auto& g : attr.graphs()) collect_uses(g, uses);
    }
  }
  for (const auto& out : graph.output()) uses.insert(out.name());
}

}  // namespace

ClipRewrite rewrite_clip_to_attributes(const std::string& onnx_bytes, const std::string& name) {
  onnx::ModelProto model;
  if (onnx_bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      !model.ParseFromArray(onnx_bytes.data(), static_cast<int>(onnx_bytes.size()))) {
    throw ModelError(name + " is not a readable ONNX model");
  }
  onnx::GraphProto* graph = model.mutable_graph();

  // Constant values by tensor name: outputs of Constant nodes, then initializers.
  std::map<std::string, std::optional<float>> constants;
  for (const auto& node : graph->node()) {
    if (node.op_type() != "Constant" || !is_default_domain(node.domain()) || node.output_size() != 1) continue;
    for (const auto& attr : node.attribute()) {
      if (attr.name() == "value" && attr.has_t()) constants[node.output(0)] = scalar_value(attr.t());
      if (attr.name() == "value_float") constants[node.output(0)] = attr.f();
    }
  }
  for (const auto& init : graph->initializer()) constants.emplace(init.name(), scalar_value(init));

  ClipRewrite result;
  std::set<std::string> released;  // names the rewritten Clips no longer read
  for (auto& node : *graph->mutable_node()) {
    if (node.op_type() != "Clip" || !is_default_domain(node.domain()) || node.input_size() <= 1) continue;
    float bounds[2] = {std::numeric_limits<float>::lowest(), std::numeric_limits<float>::max()};
    for (int i = 1; i < node.input_size() && i <= 2; ++i) {
      const std::string& in = node.input(i);
      if (in.empty()) continue;  // optional input left out: the default bound applies
      auto it = constants.find(in);
      if (it == constants.end() || !it->second) {
        throw ModelError(name + ": Clip node '" + node.name() + "' takes its " + (i == 1 ? "min" : "max") +
                         " from '" + in + "', which is not a scalar constant; cannot rewrite it for OpenCV 4.6");
      }
      bounds[i - 1] = *it->second;
      released.insert(in);
    }
    if (node.input_size() > 3) throw ModelError(name + ": Clip node '" + node.name() + "' has more than 3 inputs");
    const std::string x = node.input(0);
    node.clear_input();
    node.add_input(x);
    const char* attr_names[2] = {"min", "max"};
    for (int k = 0; k < 2; ++k) {
      auto* attr = node.add_attribute();
      attr->set_name(attr_names[k]);
      attr->set_type(onnx::AttributeProto::FLOAT);
      attr->set_f(bounds[k]);
    }
    ++result.clips_rewritten;
  }

  if (result.clips_rewritten == 0) {
    result.model = onnx_bytes;
    return result;
  }

  // Drop the Constant nodes and initializers that only fed the rewritten Clips.
  std::multiset<std::string> uses;
  collect_uses(*graph, uses);
  auto unused = [&](const std::string& n) { return released.count(n) && !uses.count(n); };

  auto* nodes = graph->mutable_node();
  for (int i = nodes->size() - 1; i >= 0; --i) {
    const auto& node = nodes->Get(i);
    if (node.op_type() == "Constant" && node.output_size() == 1 && unused(node.output(0))) {
      nodes->DeleteSubrange(i, 1);
      ++result.constants_removed;
    }
  }
  std::set<std::string> removed_initializers;
  auto* inits = graph->mutable_initializer();
  for (int i = inits->size() - 1; i >= 0; --i) {
    if (unused(inits->Get(i).name())) {
      removed_initializers.insert(inits->Get(i).name());
      inits->DeleteSubrange(i, 1);
      ++result.constants_removed;
    }
  }
  auto* inputs = graph->mutable_input();  // older exporters also list initializers as graph inputs
  for (int i = inputs->size() - 1; i >= 0; --i) {
    if (removed_initializers.count(inputs->Get(i).name())) inputs->DeleteSubrange(i, 1);
  }

  // The attribute form of Clip is opset 6..10.
  bool found = false;
  for (auto& opset : *model.mutable_opset_import()) {
    if (is_default_domain(opset.domain())) {
      if (opset.version() > 10) opset.set_version(10);
      found = true;
    }
  }
  if (!found) {
    auto* opset = model.add_opset_import();
    opset->set_domain("");
    opset->set_version(10);
  }

  if (!model.SerializeToString(&result.model)) throw ModelError(name + ": cannot serialise the rewritten ONNX model");
  return result;
}

}  // namespace veil

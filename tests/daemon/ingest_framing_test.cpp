// veild's ingest framing on hostile bytes, without a database: whatever a message holds, the
// client gets a reply and the ingest thread carries on. Inputs found by
// fuzz/fuzz_ingest_request.cpp are replayed here.
#include <gtest/gtest.h>

#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "daemon/ingest_framing.h"

namespace veil {
namespace {

// A ROUTER as veild has it and a DEALER as a client has it, connected in process.
struct Pair {
  zmq::context_t context;
  zmq::socket_t router{context, zmq::socket_type::router};
  zmq::socket_t dealer{context, zmq::socket_type::dealer};
  Pair() {
    router.bind("inproc://ingest-framing-test");
    dealer.set(zmq::sockopt::rcvtimeo, 5000);
    router.set(zmq::sockopt::rcvtimeo, 5000);
    dealer.connect("inproc://ingest-framing-test");
  }
  std::vector<zmq::message_t> to_router(const std::vector<std::string>& frames) {
    std::vector<zmq::message_t> out;
    for (const auto& f : frames) out.emplace_back(f.data(), f.size());
    zmq::send_multipart(dealer, out);
    std::vector<zmq::message_t> got;
    if (!zmq::recv_multipart(router, std::back_inserter(got))) ADD_FAILURE() << "nothing reached the router";
    return got;
  }
  // The reply the client receives: "VEIL/1", the type, the JSON body.
  std::vector<std::string> reply() {
    std::vector<zmq::message_t> got;
    if (!zmq::recv_multipart(dealer, std::back_inserter(got))) return {};
    std::vector<std::string> out;
    for (const auto& m : got) out.push_back(m.to_string());
    return out;
  }
};

// Found by fuzz_ingest_request: the parser's message quotes the header's bytes, which need not
// be UTF-8, and the NACK carrying it could not be written as JSON; the exception left the
// ingest thread and ended veild.
TEST(IngestFraming, AHeaderThatIsNotJsonNorUtf8GetsABadRequestNack) {
  Pair p;
  auto frames = p.to_router({"VEIL/1", "SUBMIT", "\xff\xfe{"});
  auto request = read_request(frames);
  ASSERT_TRUE(request.has_value());
  ASSERT_TRUE(request->malformed.has_value());
  ReplySender sender(p.router, nullptr);
  EXPECT_NO_THROW(sender.nack(request->ctx, *request->malformed));
  const auto reply = p.reply();
  ASSERT_EQ(reply.size(), 3u);
  EXPECT_EQ(reply[1], "NACK");
  const auto body = nlohmann::json::parse(reply[2]);
  EXPECT_EQ(body.at("code"), "bad_request");
  EXPECT_NE(body.at("reason").get<std::string>().find("header is not JSON"), std::string::npos);
}

// The same for a reason that quotes a command of any bytes ("unknown command ...").
TEST(IngestFraming, AReasonQuotingBytesThatAreNotUtf8IsStillSent) {
  Pair p;
  auto frames = p.to_router({"VEIL/1", "\xc3(", "{\"seq\": 4}"});
  auto request = read_request(frames);
  ASSERT_TRUE(request.has_value());
  ASSERT_FALSE(request->malformed.has_value());
  ReplySender sender(p.router, nullptr);
  EXPECT_NO_THROW(sender.nack(request->ctx, {"bad_request", "unknown command " + request->command}));
  const auto reply = p.reply();
  ASSERT_EQ(reply.size(), 3u);
  const auto body = nlohmann::json::parse(reply[2]);
  EXPECT_EQ(body.at("seq"), 4);
  EXPECT_EQ(body.at("code"), "bad_request");
}

// A header nested far deeper than any message (the size limits allow megabytes of "[") is
// refused while it is parsed: building, copying or destroying it would exhaust the stack.
TEST(IngestFraming, AHeaderNestedTooDeepIsRefusedNotBuilt) {
  Pair p;
  const std::string deep = "{\"seq\": " + std::string(200000, '[') + std::string(200000, ']') + "}";
  auto frames = p.to_router({"VEIL/1", "SUBMIT", deep});
  auto request = read_request(frames);
  ASSERT_TRUE(request.has_value());
  ASSERT_TRUE(request->malformed.has_value());
  EXPECT_EQ(request->malformed->code, "bad_request");
  EXPECT_NE(request->malformed->reason.find("nested deeper than"), std::string::npos) << request->malformed->reason;
  // Nesting a message can have is read as before.
  const std::string fine = "{\"seq\": " + std::string(10, '[') + "1" + std::string(10, ']') + "}";
  frames = p.to_router({"VEIL/1", "SUBMIT", fine});
  request = read_request(frames);
  ASSERT_TRUE(request.has_value());
  EXPECT_FALSE(request->malformed.has_value());
  EXPECT_EQ(request->ctx.seq.dump(), std::string(10, '[') + "1" + std::string(10, ']'));
}

}  // namespace
}  // namespace veil

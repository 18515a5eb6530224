#include "llm/sim/sim_backend.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "core/rng.h"
#include "core/text.h"
#include "llm/sim/sim_responder.h"
#include "llm/sim/sim_reviewer.h"
#include "llm/sim/sim_rewriter.h"

namespace teamsrl::llm {
namespace {

// Distinguishes the reviewer's and responder's draws from the rewriter's actions (0..5).
constexpr uint64_t kReviewerOp = 100;
constexpr uint64_t kResponderOp = 200;
constexpr uint64_t kLatencyOp = 300;

uint64_t CallSeed(uint64_t run_seed, uint64_t key_hash, uint64_t input_hash, uint64_t op) {
  return HashCombine({run_seed, static_cast<uint64_t>(StreamKind::kSim), key_hash, input_hash, op});
}

Completion Failed(Completion c, std::string message) {
  c.status = InvalidArgument("sim backend: " + std::move(message));
  return c;
}

// Cuts at a UTF-8 character boundary at or below `max_bytes`.
void TruncateUtf8(std::string& s, size_t max_bytes) {
  if (s.size() <= max_bytes) return;
  size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
}

}  // namespace

SimBackend::SimBackend(EndpointConfig config, uint64_t run_seed)
    : config_(std::move(config)), run_seed_(run_seed) {}

double SimBackend::LatencyMs(const Request& request) const {
  if (config_.latency_ms <= 0.0) return 0.0;
  const double u = HashToUnit(CallSeed(run_seed_, request.key.Hash(request.role), 0, kLatencyOp));
  const double jitter = std::clamp(config_.latency_jitter, 0.0, 1.0);
  return std::max(0.0, config_.latency_ms * (1.0 + jitter * (2.0 * u - 1.0)));
}

Completion SimBackend::Simulate(const Request& request) const {
  Completion c;
  c.tag = request.tag;
  c.role = request.role;
  c.http_status = 0;
  c.attempts = 1;
  for (const Message& m : request.messages) c.usage.prompt_tokens += EstimateTokens(m.content);

  const uint64_t key_hash = request.key.Hash(request.role);
  const std::vector<std::string>& texts = request.intent.texts;
  switch (request.role) {
    case Role::kRewriter: {
      const Result<Action> action = ActionFromName(request.intent.action);
      if (!action.ok()) {
        return Failed(std::move(c),
                      "rewriter request has unknown intent.action '" + request.intent.action + "'");
      }
      if (texts.size() != 1) {
        return Failed(std::move(c), "rewriter request needs intent.texts = {instruction}");
      }
      const uint64_t seed =
          CallSeed(run_seed_, key_hash, HashBytes(texts[0]), static_cast<uint64_t>(*action));
      c.content = sim::SimRewrite(*action, texts[0], seed).text;
      break;
    }
    case Role::kReviewer: {
      if (texts.size() != 2) {
        return Failed(std::move(c), "reviewer request needs intent.texts = {before, after}");
      }
      const uint64_t input = HashCombine({HashBytes(texts[0]), HashBytes(texts[1])});
      c.content =
          sim::SimReview(texts[0], texts[1], CallSeed(run_seed_, key_hash, input, kReviewerOp))
              .reply;
      break;
    }
    case Role::kResponder: {
      if (texts.size() != 1) {
        return Failed(std::move(c), "responder request needs intent.texts = {instruction}");
      }
      c.content = sim::SimRespond(texts[0],
                                  CallSeed(run_seed_, key_hash, HashBytes(texts[0]), kResponderOp))
                      .text;
      break;
    }
  }
  const int max_tokens =
      request.sampling.max_tokens > 0 ? request.sampling.max_tokens : config_.max_tokens;
  c.finish_reason = "stop";
  if (max_tokens > 0 && c.content.size() > static_cast<size_t>(max_tokens) * 4) {
    TruncateUtf8(c.content, static_cast<size_t>(max_tokens) * 4);
    c.finish_reason = "length";
  }
  c.usage.completion_tokens = EstimateTokens(c.content);
  return c;
}

void SimBackend::Submit(Request request) {
  const Clock::time_point now = Clock::now();
  Pending p;
  p.submitted = now;
  p.deadline = now + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double, std::milli>(LatencyMs(request)));
  p.seq = next_seq_++;
  p.completion = Simulate(request);
  pending_.push_back(std::move(p));
  std::push_heap(pending_.begin(), pending_.end(), Later);
}

std::vector<Completion> SimBackend::Poll(std::chrono::milliseconds max_wait) {
  std::vector<Completion> done;
  if (pending_.empty()) return done;
  Clock::time_point now = Clock::now();
  if (pending_.front().deadline > now && max_wait.count() > 0) {
    std::this_thread::sleep_until(std::min(pending_.front().deadline, now + max_wait));
    now = Clock::now();
  }
  while (!pending_.empty() && pending_.front().deadline <= now) {
    std::pop_heap(pending_.begin(), pending_.end(), Later);
    Pending& p = pending_.back();
    p.completion.latency_ms = std::chrono::duration<double, std::milli>(now - p.submitted).count();
    done.push_back(std::move(p.completion));
    pending_.pop_back();
  }
  return done;
}

}  // namespace teamsrl::llm

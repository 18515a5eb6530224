// What one logical actor produced in one iteration, as it travels from its rank to root.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "llm/types.h"

namespace teamsrl::pipeline {

struct StepRecord {
  int64_t episode = 0;  // the actor's episode counter
  int32_t t = 0;
  int32_t action = 0;
  int8_t failed = 0;
  int32_t queries = 0;  // LLM calls this step made
  double reward = 0.0;
  double logp = 0.0;
  std::vector<double> obs;      // as the policy saw it (filtered)
  std::vector<double> raw_obs;  // before the filter, for the filter's update on root
  std::string instruction;      // after the step
  std::string reply;            // reviewer's raw reply
};

struct CallRecord {
  int32_t role = 0;
  int32_t status = 0;  // StatusCode
  int32_t http_status = 0;
  int32_t attempts = 0;
  int8_t cached = 0;
  int8_t usage_estimated = 0;  // llm::Completion::usage_estimated
  double latency_ms = 0.0;
  double limit_wait_ms = 0.0;  // llm::Completion::limit_wait_ms
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  std::string error;  // empty when OK
};

struct ActorRecord {
  int64_t actor = 0;
  std::vector<StepRecord> steps;  // episodes contiguous, t ascending
  std::vector<CallRecord> calls;  // in step order, rewrite before review
};

CallRecord ToCallRecord(const llm::Completion& c);

// A call's bytes, as the gather and the call journal carry them.
void PutCallRecord(ByteWriter& w, const CallRecord& c);
CallRecord GetCallRecord(ByteReader& r);

// Serialises a rank's actors (in actor order) for the gather.
std::string EncodeActors(const std::vector<ActorRecord>& actors);
// Inverse of EncodeActors; appends the actors to `out`.
void DecodeActors(const std::string& bytes, std::vector<ActorRecord>* out);

}  // namespace teamsrl::pipeline

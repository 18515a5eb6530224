#include "pipeline/actor_record.h"

#include "core/bytes.h"

namespace teamsrl::pipeline {

CallRecord ToCallRecord(const llm::Completion& c) {
  CallRecord r;
  r.role = static_cast<int32_t>(c.role);
  r.status = static_cast<int32_t>(c.status.code());
  r.http_status = c.http_status;
  r.attempts = c.attempts;
  r.cached = c.cached ? 1 : 0;
  r.usage_estimated = c.usage_estimated ? 1 : 0;
  r.latency_ms = c.latency_ms;
  r.limit_wait_ms = c.limit_wait_ms;
  r.prompt_tokens = c.usage.prompt_tokens;
  r.completion_tokens = c.usage.completion_tokens;
  if (!c.status.ok()) r.error = c.status.ToString();
  return r;
}

void PutCallRecord(ByteWriter& w, const CallRecord& c) {
  w.Put(c.role);
  w.Put(c.status);
  w.Put(c.http_status);
  w.Put(c.attempts);
  w.Put(c.cached);
  w.Put(c.usage_estimated);
  w.Put(c.latency_ms);
  w.Put(c.limit_wait_ms);
  w.Put(c.prompt_tokens);
  w.Put(c.completion_tokens);
  w.PutString(c.error);
}

CallRecord GetCallRecord(ByteReader& r) {
  CallRecord c;
  c.role = r.Get<int32_t>();
  c.status = r.Get<int32_t>();
  c.http_status = r.Get<int32_t>();
  c.attempts = r.Get<int32_t>();
  c.cached = r.Get<int8_t>();
  c.usage_estimated = r.Get<int8_t>();
  c.latency_ms = r.Get<double>();
  c.limit_wait_ms = r.Get<double>();
  c.prompt_tokens = r.Get<int64_t>();
  c.completion_tokens = r.Get<int64_t>();
  c.error = r.GetString();
  return c;
}

std::string EncodeActors(const std::vector<ActorRecord>& actors) {
  ByteWriter w;
  w.Put<uint64_t>(actors.size());
  for (const ActorRecord& a : actors) {
    w.Put(a.actor);
    w.Put<uint64_t>(a.steps.size());
    for (const StepRecord& s : a.steps) {
      w.Put(s.episode);
      w.Put(s.t);
      w.Put(s.action);
      w.Put(s.failed);
      w.Put(s.queries);
      w.Put(s.reward);
      w.Put(s.logp);
      w.PutVector(s.obs);
      w.PutVector(s.raw_obs);
      w.PutString(s.instruction);
      w.PutString(s.reply);
    }
    w.Put<uint64_t>(a.calls.size());
    for (const CallRecord& c : a.calls) PutCallRecord(w, c);
  }
  return w.Take();
}

void DecodeActors(const std::string& bytes, std::vector<ActorRecord>* out) {
  ByteReader r(bytes);
  const auto n = r.Get<uint64_t>();
  for (uint64_t i = 0; i < n; ++i) {
    ActorRecord a;
    a.actor = r.Get<int64_t>();
    a.steps.resize(r.Get<uint64_t>());
    for (StepRecord& s : a.steps) {
      s.episode = r.Get<int64_t>();
      s.t = r.Get<int32_t>();
      s.action = r.Get<int32_t>();
      s.failed = r.Get<int8_t>();
      s.queries = r.Get<int32_t>();
      s.reward = r.Get<double>();
      s.logp = r.Get<double>();
      s.obs = r.GetVector<double>();
      s.raw_obs = r.GetVector<double>();
      s.instruction = r.GetString();
      s.reply = r.GetString();
    }
    a.calls.resize(r.Get<uint64_t>());
    for (CallRecord& c : a.calls) c = GetCallRecord(r);
    out->push_back(std::move(a));
  }
  TEAMSRL_CHECK(r.done()) << "trailing bytes in a rank result";
}

}  // namespace teamsrl::pipeline

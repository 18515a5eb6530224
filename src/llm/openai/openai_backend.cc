#include "llm/openai/openai_backend.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "core/rng.h"
#include "core/text.h"
#include "core/version.h"
#include "llm/activity.h"
#include "llm/openai/core_dumps.h"
#include "llm/openai/http_chat.h"
#include "llm/openai/http_retry.h"
#include "llm/openai/prompt_template.h"

namespace teamsrl::llm {

namespace internal {

// The server's retry hints of the current attempt, filled by the header callback. Not in
// the anonymous namespace: OpenAiBackend::Call, which has external linkage, holds one.
struct RetryHints {
  std::optional<double> retry_after_s;     // Retry-After
  std::optional<double> retry_after_ms_s;  // retry-after-ms, in seconds
};

}  // namespace internal
using internal::RetryHints;

struct OpenAiBackend::Call {
  uint64_t tag = 0;
  Role role = Role::kRewriter;
  uint64_t key_hash = 0;
  int64_t prompt_tokens_estimate = 0;
  int64_t rate_tokens = 0;    // charged to the tpm bucket per attempt
  int64_t max_tokens = 0;     // the request's completion limit
  int64_t reply_cap = 0;      // max_reply_bytes of this call
  int64_t in_flight_cap = 0;  // OpenAiOptions::max_reply_bytes_in_flight
  std::string body;
  Clock::time_point submitted;
  // Held back by the rate limiter since `limited_since` (while `limited`); the sum of
  // those waits becomes Completion::limit_wait_ms.
  bool limited = false;
  Clock::time_point limited_since;
  double limit_wait_ms = 0.0;
  int attempts = 0;  // started by us; drives the retry policy
  int resends = 0;   // extra requests libcurl sent by itself (dead reused connection)
  int sends = 0;     // requests on the wire in the current attempt (prereq callback)
  CurlEasy easy;
  // Per attempt.
  std::string response;
  int64_t counted = 0;  // bytes of `response` in g_reply_bytes_in_flight
  enum class Over { kNo, kCap, kInFlight } over = Over::kNo;
  RetryHints hints;
  char error_buffer[CURL_ERROR_SIZE] = {};
  int http_status = 0;
};

namespace {

// Reply bytes buffered by all calls in flight in this process (all backends).
std::atomic<int64_t> g_reply_bytes_in_flight{0};

// Header names are case-insensitive; values are trimmed by the parsers.
bool HeaderIs(std::string_view line, std::string_view name) {
  return line.size() > name.size() && line[name.size()] == ':' &&
         ToLower(line.substr(0, name.size())) == name;
}

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Transport errors that another attempt cannot fix.
bool IsFatalCurlError(CURLcode rc) {
  switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_OUT_OF_MEMORY:
      return true;
    default:
      return false;
  }
}

// libcurl calls this right before a request goes on the wire, also when it silently
// sends a request again because the reused connection it picked had died.
int OnRequestSent(void* call_sends, char*, char*, int, int) {
  ++*static_cast<int*>(call_sends);
  return CURL_PREREQFUNC_OK;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* hints = static_cast<RetryHints*>(user);
  const std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {  // a new response (e.g. after a redirect) starts afresh
    *hints = RetryHints{};
  } else if (HeaderIs(line, "retry-after-ms")) {
    hints->retry_after_ms_s = ParseRetryAfterMs(line.substr(15));
  } else if (HeaderIs(line, "retry-after")) {
    hints->retry_after_s = ParseRetryAfter(line.substr(12), UnixNow());
  }
  return size * n;
}

}  // namespace

OpenAiBackend::OpenAiBackend(std::string endpoint_name, EndpointConfig config,
                             OpenAiOptions options)
    : name_(std::move(endpoint_name)),
      config_(std::move(config)),
      options_(options),
      limiter_(config_.rpm, config_.tpm, options.rank_share),
      epoch_(Clock::now()) {}

Result<std::unique_ptr<OpenAiBackend>> OpenAiBackend::Create(std::string endpoint_name,
                                                             EndpointConfig config,
                                                             OpenAiOptions options) {
  std::unique_ptr<OpenAiBackend> b(
      new OpenAiBackend(std::move(endpoint_name), std::move(config), options));
  TEAMSRL_RETURN_IF_ERROR(b->Init());
  return b;
}

Status OpenAiBackend::Init() {
  const std::string key = "llm.endpoints." + name_;
  std::string base = Trim(config_.base_url);
  if (!base.starts_with("http://") && !base.starts_with("https://")) {
    return InvalidArgument(
        key + ".base_url: openai backend needs an http:// or https:// URL, got '" + base + "'");
  }
  if (Trim(config_.model).empty()) return InvalidArgument(key + ".model: empty");
  while (base.ends_with('/')) base.pop_back();
  url_ = base + (config_.api == Api::kChat ? "/chat/completions" : "/completions");
  if (config_.api == Api::kCompletions && config_.prompt_template_text.empty()) {
    return InvalidArgument(key + ".prompt_template: api completions needs a prompt template");
  }
  Result<BodyFields> extra = ParseBodyFields(config_.extra_body);
  if (!extra.ok()) return InvalidArgument(key + "." + extra.status().message());
  shape_ = BodyShape{config_.model, config_.max_tokens, config_.max_tokens_field,
                     std::move(extra).value()};

  shown_url_ = UrlWithoutCredentials(config_.base_url);
  if (!config_.api_key_env.empty()) {
    if (const char* v = std::getenv(config_.api_key_env.c_str()); v != nullptr) api_key_ = Trim(v);
  }
  if (HasControlCharacters(api_key_)) {
    api_key_.clear();
    return InvalidArgument(key + ".api_key_env: the environment variable " + config_.api_key_env +
                           " holds control characters (a CR or LF would inject HTTP headers); "
                           "set it to the bare key");
  }
  redact_ = Redactor(RequestCredentials(config_.base_url, api_key_));
  if (!api_key_.empty()) DisableCoreDumpsWhileHoldingAKey();
  EnsureCurlGlobalInit();
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return Internal(Where() + ": epoll_create1: " + std::strerror(errno));
  multi_.reset(curl_multi_init());
  if (!multi_) return Internal(Where() + ": curl_multi_init failed");
  curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETFUNCTION, OnSocket);
  curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_.get(), CURLMOPT_TIMERFUNCTION, OnTimer);
  curl_multi_setopt(multi_.get(), CURLMOPT_TIMERDATA, this);
  // Keep one idle connection per possible in-flight request, so keep-alive survives.
  curl_multi_setopt(multi_.get(), CURLMOPT_MAXCONNECTS, static_cast<long>(config_.max_concurrency));
  curl_multi_setopt(multi_.get(), CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);

  bool ok = AppendHeader(headers_, "Content-Type: application/json") &&
            AppendHeader(headers_, "Accept: application/json") &&
            AppendHeader(headers_, "Expect:");  // no 100-continue round trip
  if (ok && !api_key_.empty()) {
    std::string auth = "Authorization: Bearer " + api_key_;
    ok = AppendHeader(headers_, auth.c_str());
    std::fill(auth.begin(), auth.end(), '\0');
  }
  if (!ok) return Internal(Where() + ": out of memory building headers");
  return OkStatus();
}

OpenAiBackend::~OpenAiBackend() {
  if (limited_) Activity::Process().Limited(-1);
  for (auto& [ptr, call] : calls_) {
    if (call->easy) curl_multi_remove_handle(multi_.get(), call->easy.get());
    g_reply_bytes_in_flight -= call->counted;
  }
  multi_.reset();  // may still report sockets to OnSocket: the epoll set must be alive
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

int OpenAiBackend::OnSocket(CURL*, curl_socket_t fd, int what, void* self, void* socketp) {
  auto* b = static_cast<OpenAiBackend*>(self);
  if (what == CURL_POLL_REMOVE) {
    epoll_ctl(b->epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);  // EBADF: already closed, fine
    return 0;
  }
  epoll_event ev{};
  ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
  ev.data.fd = fd;
  // socketp is null until we mark the socket as being in the epoll set (libcurl forgets
  // the mark when it reports the socket removed).
  if (socketp != nullptr) {
    epoll_ctl(b->epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
    return 0;
  }
  bool added = epoll_ctl(b->epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0;
  if (!added && errno == EEXIST) added = epoll_ctl(b->epoll_fd_, EPOLL_CTL_MOD, fd, &ev) == 0;
  if (added) curl_multi_assign(b->multi_.get(), fd, b);
  return 0;
}

int OpenAiBackend::OnTimer(CURLM*, long timeout_ms, void* self) {
  auto* b = static_cast<OpenAiBackend*>(self);
  if (timeout_ms < 0) {
    b->curl_timer_at_.reset();
  } else {
    b->curl_timer_at_ = Clock::now() + std::chrono::milliseconds(timeout_ms);
  }
  return 0;
}

std::string OpenAiBackend::Where() const {
  return "openai endpoint '" + name_ + "' (" + shown_url_ + ")";
}

// Stops the transfer (a short count makes libcurl fail it with CURLE_WRITE_ERROR) once
// the reply outgrows its cap or the process-wide bound; Finish says which.
size_t OpenAiBackend::OnBody(char* data, size_t size, size_t n, void* user) {
  auto* call = static_cast<Call*>(user);
  const auto bytes = static_cast<int64_t>(size * n);
  if (static_cast<int64_t>(call->response.size()) + bytes > call->reply_cap) {
    call->over = Call::Over::kCap;
    return 0;
  }
  if (g_reply_bytes_in_flight.fetch_add(bytes) + bytes > call->in_flight_cap) {
    g_reply_bytes_in_flight -= bytes;
    call->over = Call::Over::kInFlight;
    return 0;
  }
  call->counted += bytes;
  call->response.append(data, size * n);
  return size * n;
}

double OpenAiBackend::Seconds(Clock::time_point t) const {
  return std::chrono::duration<double>(t - epoch_).count();
}

void OpenAiBackend::Submit(Request request) {
  auto call = std::make_unique<Call>();
  call->tag = request.tag;
  call->role = request.role;
  call->key_hash = request.key.Hash(request.role);
  for (const Message& m : request.messages) {
    call->prompt_tokens_estimate += EstimateTokens(m.content) + 4;  // + role framing
  }
  const int max_tokens =
      request.sampling.max_tokens > 0 ? request.sampling.max_tokens : config_.max_tokens;
  call->rate_tokens = call->prompt_tokens_estimate +
                      (config_.tpm_charge == TokenCharge::kMaxTokens
                           ? max_tokens
                           : completion_estimate_[static_cast<int>(call->role)].For(max_tokens));
  call->max_tokens = max_tokens;
  call->reply_cap = MaxReplyBytes(config_.max_reply_bytes, max_tokens);
  call->in_flight_cap = std::max(options_.max_reply_bytes_in_flight, call->reply_cap);
  call->body =
      config_.api == Api::kChat
          ? BuildChatBody(shape_, request)
          : BuildCompletionBody(shape_, request,
                                RenderPrompt(config_.prompt_template_text, request.messages));
  call->submitted = Clock::now();
  ready_.push_back(call.get());
  calls_.emplace(call.get(), std::move(call));
}

void OpenAiBackend::Dispatch(Clock::time_point now) {
  if (!backoff_.empty() && backoff_.begin()->first <= now) {
    // Retries go first: they are older than anything still queued.
    std::vector<Call*> due;
    while (!backoff_.empty() && backoff_.begin()->first <= now) {
      due.push_back(backoff_.begin()->second);
      backoff_.erase(backoff_.begin());
    }
    ready_.insert(ready_.begin(), due.begin(), due.end());
  }
  while (active_ < static_cast<size_t>(config_.max_concurrency) && !ready_.empty()) {
    Call* call = ready_.front();
    if (!limiter_.unlimited() && !limiter_.TryAcquire(call->rate_tokens, Seconds(now))) {
      const double at = limiter_.NextAvailable(call->rate_tokens, Seconds(now));
      limiter_ready_at_ =
          epoch_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(at));
      ++counters_.rate_limited_waits;
      HoldBack(call, now);
      return;
    }
    Release(call, now);
    ready_.pop_front();
    if (Status s = Start(call); !s.ok()) {
      Complete(call, s, Completion{});
    }
  }
}

// Only the queue head is ever held back, so the calls' waits never overlap: their sum is
// the time this endpoint spent waiting on its limits.
void OpenAiBackend::HoldBack(Call* call, Clock::time_point now) {
  if (!call->limited) {
    call->limited = true;
    call->limited_since = now;
  }
  if (!limited_) {
    limited_ = true;
    Activity::Process().Limited(+1);
  } else {
    Activity::Process().AddLimitWait(std::chrono::duration<double>(now - limited_mark_).count());
  }
  limited_mark_ = now;
}

void OpenAiBackend::Release(Call* call, Clock::time_point now) {
  if (call->limited) {
    call->limit_wait_ms +=
        std::chrono::duration<double, std::milli>(now - call->limited_since).count();
    call->limited = false;
  }
  if (limited_) {
    Activity::Process().AddLimitWait(std::chrono::duration<double>(now - limited_mark_).count());
    Activity::Process().Limited(-1);
    limited_ = false;
  }
}

Status OpenAiBackend::Start(Call* call) {
  if (!idle_easy_.empty()) {
    call->easy = std::move(idle_easy_.back());
    idle_easy_.pop_back();
  } else {
    call->easy.reset(curl_easy_init());
    if (!call->easy) return Internal(Where() + ": curl_easy_init failed");
    CURL* h = call->easy.get();
    // Options that are the same for every call on this endpoint: set once per handle.
    const long timeout_ms = std::lround(config_.timeout_s * 1000.0);
    const long connect_ms =
        std::lround(std::min(options_.connect_timeout_s, config_.timeout_s) * 1000.0);
    curl_easy_setopt(h, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers_.get());
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OpenAiBackend::OnBody);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
    curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!config_.ca_path.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, config_.ca_path.c_str());
    // libcurl copies string options, so the temporary may go.
    curl_easy_setopt(h, CURLOPT_USERAGENT, ("teamsrl/" + std::string(Version())).c_str());
    curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, OnRequestSent);
  }
  CURL* h = call->easy.get();
  curl_easy_setopt(h, CURLOPT_PREREQDATA, &call->sends);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, call->body.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(call->body.size()));
  curl_easy_setopt(h, CURLOPT_WRITEDATA, call);
  // A declared Content-Length over the cap fails before any byte is read.
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(call->reply_cap));
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &call->hints);
  curl_easy_setopt(h, CURLOPT_PRIVATE, call);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, call->error_buffer);
  call->response.clear();
  call->over = Call::Over::kNo;
  call->hints = RetryHints{};
  call->error_buffer[0] = '\0';
  call->http_status = 0;
  call->sends = 0;
  ++call->attempts;
  ++counters_.attempts;
  if (call->attempts > 1) ++counters_.retries;
  if (curl_multi_add_handle(multi_.get(), h) != CURLM_OK) {
    idle_easy_.push_back(std::move(call->easy));
    return Internal(Where() + ": curl_multi_add_handle failed");
  }
  ++active_;
  return OkStatus();
}

void OpenAiBackend::Harvest() {
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    void* priv = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
    auto* call = static_cast<Call*>(priv);
    const CURLcode rc = msg->data.result;  // read before removing the handle
    long code = 0;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
    call->http_status = static_cast<int>(code);
    curl_multi_remove_handle(multi_.get(), msg->easy_handle);
    --active_;
    if (call->sends > 1) {
      call->resends += call->sends - 1;
      counters_.resends += call->sends - 1;
    }
    idle_easy_.push_back(std::move(call->easy));
    Finish(call, rc);
  }
}

// Prompt tokens a server may add to the text's own (chat template, system preamble).
constexpr int64_t kPromptTokenSlack = 1024;
// Completion tokens beyond the content's: reasoning tokens count but are not in content.
constexpr int64_t kCompletionTokenSlack = 64;

std::optional<Status> OpenAiBackend::OversizedReply(Call* call, CURLcode rc, size_t received,
                                                    const std::string& attempt) {
  const bool declared = rc == CURLE_FILESIZE_EXCEEDED;  // Content-Length over the cap
  if (call->over == Call::Over::kNo && !declared) return std::nullopt;
  ++counters_.oversized_replies;
  if (call->over == Call::Over::kInFlight) {
    return ResourceExhausted(Where() + ": the replies in flight in this process would exceed " +
                             std::to_string(call->in_flight_cap) + " bytes" + attempt);
  }
  const std::string cap = "llm.endpoints." + name_ + ".max_reply_bytes (" +
                          std::to_string(call->reply_cap) + " bytes" +
                          (config_.max_reply_bytes > 0 ? "" : ", derived from max_tokens") + ")";
  return ResourceExhausted(Where() + ": reply larger than " + cap + ": " +
                           (declared
                                ? std::string("its Content-Length is larger")
                                : "stopped reading at " + std::to_string(received) + " bytes") +
                           attempt);
}

Completion OpenAiBackend::ParsedReply(Call* call, const std::string& body, Status* status) {
  Completion c;
  Result<ChatReply> reply = ParseReply(body, config_.api);
  if (!reply.ok()) {
    *status = reply.status();
    return c;
  }
  c.content = Redact(ReplaceNul(std::move(reply->content)));
  c.finish_reason = Redact(ReplaceNul(std::move(reply->finish_reason)));
  bool anomaly = false;
  c.usage.prompt_tokens = PlausibleTokens(reply->prompt_tokens, call->prompt_tokens_estimate,
                                          kPromptTokenSlack, &anomaly);
  c.usage.completion_tokens = PlausibleTokens(reply->completion_tokens, EstimateTokens(c.content),
                                              call->max_tokens + kCompletionTokenSlack, &anomaly);
  c.usage_estimated = anomaly;
  if (anomaly) ++counters_.usage_anomalies;
  if (config_.tpm_charge == TokenCharge::kEstimate) {
    completion_estimate_[static_cast<int>(call->role)].Observe(c.usage.completion_tokens);
    limiter_.Settle(call->rate_tokens, c.usage.prompt_tokens + c.usage.completion_tokens,
                    Seconds(Clock::now()));
  }
  *status = OkStatus();
  return c;
}

void OpenAiBackend::Finish(Call* call, CURLcode rc) {
  // The body leaves the call (and the in-flight count) here and dies with this frame.
  const std::string body = std::move(call->response);
  call->response = std::string();
  g_reply_bytes_in_flight -= call->counted;
  call->counted = 0;
  Completion c;
  Status status;
  bool retryable = false;
  const std::string attempt = " (attempt " + std::to_string(call->attempts) + ")";
  if (std::optional<Status> over = OversizedReply(call, rc, body.size(), attempt)) {
    status = std::move(*over);
    retryable = call->over == Call::Over::kInFlight;  // a too-long reply would be again
  } else if (rc != CURLE_OK) {
    std::string detail = call->error_buffer[0] ? call->error_buffer : curl_easy_strerror(rc);
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      status = DeadlineExceeded(Where() + ": timed out after " + std::to_string(config_.timeout_s) +
                                " s: " + detail + attempt);
    } else {
      status = Unavailable(Where() + ": transport error: " + detail + attempt);
    }
    retryable = !IsFatalCurlError(rc);
  } else if (call->http_status >= 200 && call->http_status < 300) {
    c = ParsedReply(call, body, &status);
    if (status.ok()) {
      Complete(call, OkStatus(), std::move(c));
      return;
    }
    status = DataLoss(Where() + ": HTTP " + std::to_string(call->http_status) + ": " +
                      status.message() + attempt);
    retryable = true;
  } else {
    // Redacted whole, before the cut and the control characters: either would break the
    // match and leave most of the key behind.
    std::string msg = Where() + ": HTTP " + std::to_string(call->http_status) + ": " +
                      ShortenErrorText(Redact(ErrorTextFromBody(body)));
    if ((call->http_status == 401 || call->http_status == 403) && api_key_.empty() &&
        !config_.api_key_env.empty()) {
      msg += " (environment variable " + config_.api_key_env + " is not set)";
    }
    status = Status(CodeForHttpStatus(call->http_status), msg + attempt);
    retryable = IsRetryableHttpStatus(call->http_status);
  }
  if (retryable && call->attempts <= config_.max_retries) {
    const std::optional<double> hint =
        call->hints.retry_after_ms_s ? call->hints.retry_after_ms_s : call->hints.retry_after_s;
    const double delay =
        RetryDelaySeconds(hint, call->attempts, options_.backoff_base_s, options_.backoff_max_s,
                          options_.max_retry_after_s,
                          HashCombine({call->key_hash, static_cast<uint64_t>(call->attempts)}));
    backoff_.emplace(Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(delay)),
                     call);
    return;
  }
  Complete(call, std::move(status), std::move(c));
}

void OpenAiBackend::Complete(Call* call, Status status, Completion c) {
  c.tag = call->tag;
  c.role = call->role;
  // Every request the server may have seen, libcurl's silent resends included.
  c.attempts = std::max(1, call->attempts + call->resends);
  c.http_status = call->http_status;
  c.latency_ms = std::chrono::duration<double, std::milli>(Clock::now() - call->submitted).count();
  c.limit_wait_ms = call->limit_wait_ms;
  c.cached = false;
  if (status.ok()) {
    ++counters_.succeeded;
  } else {
    ++counters_.failed;
    c.usage.prompt_tokens = 0;
    c.usage.completion_tokens = 0;
  }
  c.status = std::move(status);
  done_.push_back(std::move(c));
  calls_.erase(call);
}

void OpenAiBackend::RunTimer() {
  if (curl_timer_at_ && *curl_timer_at_ <= Clock::now()) {
    curl_timer_at_.reset();  // libcurl sets a new one from inside socket_action if needed
    int running = 0;
    curl_multi_socket_action(multi_.get(), CURL_SOCKET_TIMEOUT, 0, &running);
    Harvest();
  }
}

void OpenAiBackend::RunSockets(int wait_ms) {
  int running = 0;
  std::array<epoll_event, 256> events;
  const int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), wait_ms);
  for (int i = 0; i < n; ++i) {
    const uint32_t e = events[static_cast<size_t>(i)].events;
    const int flags = ((e & EPOLLIN) ? CURL_CSELECT_IN : 0) |
                      ((e & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
                      ((e & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
    curl_multi_socket_action(multi_.get(), events[static_cast<size_t>(i)].data.fd, flags, &running);
  }
  if (n > 0) Harvest();
}

std::vector<Completion> OpenAiBackend::Poll(std::chrono::milliseconds max_wait) {
  const Clock::time_point deadline = Clock::now() + max_wait;
  for (;;) {
    Dispatch(Clock::now());
    RunTimer();  // starts what Dispatch added (libcurl asks for a 0-ms timer)
    if (!done_.empty()) {
      // Refill the freed slots before returning, so the next requests are already on the wire.
      const size_t before = active_;
      Dispatch(Clock::now());
      if (active_ > before) RunTimer();
      break;
    }
    if (calls_.empty()) break;
    const Clock::time_point now = Clock::now();
    if (now >= deadline) break;
    Clock::time_point wake = deadline;
    if (curl_timer_at_) wake = std::min(wake, *curl_timer_at_);
    if (!backoff_.empty()) wake = std::min(wake, backoff_.begin()->first);
    if (!ready_.empty() && active_ < static_cast<size_t>(config_.max_concurrency)) {
      wake = std::min(wake, std::max(now, limiter_ready_at_));
    }
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(wake - now);
    // Waits on the sockets and the next timer; never spins.
    RunSockets(static_cast<int>(std::max<int64_t>(0, wait.count())));
  }
  std::vector<Completion> out;
  out.swap(done_);
  return out;
}

}  // namespace teamsrl::llm

// Throughput and CPU cost of the openai backend against the fake OpenAI server
// (tests/servers/fake_openai_server.py) with a fixed server latency.
//
// For each concurrency C, C callers each keep one call in flight, twice: staggered
// (independent callers, their requests spread over time) and lockstep (all start
// together, as a training iteration's actors do). Reports calls/s as a share of the
// ideal C / latency (rate = C / mean time between a caller's completions), the client's
// CPU time per call (getrusage of this process; the server is a child process and not
// counted) and the server's own figures (request-to-reply time, timer lateness, CPU), to
// show whether the server is the bottleneck. Also printed: the CPU this machine charges
// for one idle sleep + wake-up, a floor under the CPU per call when replies arrive one
// at a time. Then the same workload through a one-call-at-a-time client (blocking
// curl_easy_perform on one keep-alive handle).
// --rpm-run S: S seconds with `rpm: 600` against a server enforcing 600/min (60-s
// sliding window); reports the achieved rate and 429s.
//
// --tls DIR: the server speaks HTTPS with a certificate in DIR and offers HTTP/2, so all
// calls share one multiplexed connection.
//
//   llm_client_bench [--latency-ms 100] [--seconds 3] [--levels 1,8,32,128] [--rpm-run 60]
//                    [--tls DIR]
#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../tests/llm/openai/openai_fake_server.h"
#include "core/text.h"
#include "llm/openai/http_chat.h"
#include "llm/openai/openai_backend.h"

namespace {

using teamsrl::llm::Completion;
using teamsrl::llm::OpenAiBackend;
using teamsrl::llm::Request;
using Clock = std::chrono::steady_clock;

std::string g_ca_file;  // --tls: the fake server's self-signed certificate

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A request shaped like the rewriter's: a ~600-byte prompt template plus an instruction.
Request MakeRequest(int64_t i) {
  static const std::string kTemplate(600, 'p');
  Request r;
  r.messages = {{"system", "You are an Instruction Rewriter. " + kTemplate},
                {"user", "#Given Prompt#: How to cook food? (variant " + std::to_string(i) + ")"}};
  r.sampling.max_tokens = 256;
  r.key.actor = i;
  return r;
}

struct ServerStats {
  double cpu_s = 0.0;
  int64_t requests = 0;
  int64_t sent_429 = 0;
  int64_t max_inflight = 0;
  int64_t connections = 0;
  double late_ms_total = 0.0;
  double served_ms_total = 0.0;
};

ServerStats GetStats(const teamsrl::llm::testing::FakeOpenAiServer& server) {
  ServerStats s;
  const nlohmann::json j = nlohmann::json::parse(server.StatsJson(), nullptr, false);
  if (j.is_discarded()) return s;
  s.cpu_s = j.value("cpu_s", 0.0);
  s.requests = j.value("requests", int64_t{0});
  s.sent_429 = j.value("sent_429", int64_t{0});
  s.max_inflight = j.value("max_inflight", int64_t{0});
  s.connections = j.value("connections", int64_t{0});
  s.late_ms_total = j.value("late_ms_total", 0.0);
  s.served_ms_total = j.value("served_ms_total", 0.0);
  return s;
}

struct LoopResult {
  double rate = 0.0;  // calls/s
  int64_t calls = 0;
  int64_t failed = 0;
  double latency_ms_total = 0.0;
  double wall_s = 0.0;
  double cpu_s = 0.0;
};

// Keeps `concurrency` calls in flight for `seconds`, then drains.
LoopResult ClosedLoop(OpenAiBackend& client, int concurrency, double seconds) {
  LoopResult r;
  int64_t next = 0;
  const double cpu0 = CpuSeconds();
  const Clock::time_point t0 = Clock::now();
  for (int i = 0; i < concurrency; ++i) client.Submit(MakeRequest(next++));
  while (client.InFlight() > 0) {
    for (const Completion& c : client.Poll(std::chrono::milliseconds(200))) {
      ++r.calls;
      r.failed += !c.status.ok();
      r.latency_ms_total += c.latency_ms;
      if (Since(t0) < seconds) client.Submit(MakeRequest(next++));
    }
  }
  r.wall_s = Since(t0);
  r.cpu_s = CpuSeconds() - cpu0;
  return r;
}

struct Window {
  LoopResult r;
  ServerStats s0, s1;
};

// `concurrency` callers, each keeping one call in flight. Staggered: caller i starts at
// i * latency / C, so requests reach the server spread over time as from independent
// callers. Lockstep: all start together and stay in step (a training iteration's actors
// do), so C requests arrive at once every round and queue behind one another in the
// single-threaded server. Measured over `seconds` after a ramp of two latencies:
// completions in the window, client CPU and server counters at its edges.
Window SteadyLoop(OpenAiBackend& client, const teamsrl::llm::testing::FakeOpenAiServer& server,
                  int concurrency, double latency_s, double seconds, bool stagger) {
  Window w;
  int64_t next = 0;
  int started = 0;
  bool measuring = false, stopped = false;
  double cpu0 = 0.0;
  // Rate = C / mean cycle, a cycle being the time between a caller's consecutive
  // completions: exact for a closed loop, where counting completions in a window is off
  // by up to C in lockstep (they come in bursts of C).
  std::vector<double> last_done(static_cast<size_t>(concurrency), -1.0);
  double cycle_sum = 0.0;
  int64_t cycles = 0;
  auto submit = [&](int caller) {
    Request r = MakeRequest(next++);
    r.tag = static_cast<uint64_t>(caller);
    client.Submit(std::move(r));
  };
  const Clock::time_point t0 = Clock::now();
  Clock::time_point tw0 = t0;
  const double ramp_s = 2.0 * latency_s;
  for (;;) {
    const double t = Since(t0);
    while (started < concurrency && (!stagger || t >= started * latency_s / concurrency)) {
      submit(started++);
    }
    if (!measuring && t >= ramp_s) {
      measuring = true;
      w.s0 = GetStats(server);
      cpu0 = CpuSeconds();
      tw0 = Clock::now();
    }
    if (measuring && !stopped && Since(tw0) >= seconds) {
      stopped = true;
      w.r.wall_s = Since(tw0);
      w.r.cpu_s = CpuSeconds() - cpu0;
      w.s1 = GetStats(server);
    }
    if (stopped && client.InFlight() == 0) break;
    double wait_s = 0.2;
    if (started < concurrency) {
      wait_s = started * latency_s / concurrency - t;
    } else if (!measuring) {
      wait_s = ramp_s - t;
    } else if (!stopped) {
      wait_s = seconds - Since(tw0);
    }
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::duration<double>(std::clamp(wait_s, 0.0, 0.2)));
    for (const Completion& c : client.Poll(wait)) {
      const double now = Since(t0);
      double& last = last_done[static_cast<size_t>(c.tag)];
      if (measuring && !stopped) {
        ++w.r.calls;
        w.r.failed += !c.status.ok();
        w.r.latency_ms_total += c.latency_ms;
        if (last >= 0.0) {
          cycle_sum += now - last;
          ++cycles;
        }
      }
      last = now;
      if (!stopped) submit(static_cast<int>(c.tag));
    }
  }
  w.r.rate = cycles > 0 ? concurrency * static_cast<double>(cycles) / cycle_sum : 0.0;
  return w;
}

size_t Sink(char*, size_t size, size_t n, void*) { return size * n; }

// One call at a time on one keep-alive curl_easy handle.
LoopResult BlockingLoop(const std::string& base_url, double seconds) {
  LoopResult r;
  CURL* h = curl_easy_init();
  const std::string url = base_url + "/chat/completions";
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, Sink);
  if (!g_ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, g_ca_file.c_str());
  teamsrl::llm::BodyShape shape;
  shape.model = "fake-1";
  shape.default_max_tokens = 256;
  const double cpu0 = CpuSeconds();
  const Clock::time_point t0 = Clock::now();
  for (int64_t i = 0; Since(t0) < seconds; ++i) {
    const std::string body = teamsrl::llm::BuildChatBody(shape, MakeRequest(i));
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
    ++r.calls;
    long code = 0;
    if (curl_easy_perform(h) != CURLE_OK ||
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK || code != 200) {
      ++r.failed;
    }
  }
  r.wall_s = Since(t0);
  r.cpu_s = CpuSeconds() - cpu0;
  curl_slist_free_all(headers);
  curl_easy_cleanup(h);
  return r;
}

teamsrl::llm::EndpointConfig Endpoint(const std::string& base_url, int concurrency) {
  teamsrl::llm::EndpointConfig c;
  c.ca_path = g_ca_file;
  c.backend = teamsrl::llm::Backend::kOpenai;
  c.base_url = base_url;
  c.model = "fake-1";
  c.max_concurrency = concurrency;
  c.timeout_s = 30.0;
  return c;
}

void PrintRow(const char* name, int c, double latency_ms, const LoopResult& r,
              const ServerStats& s0, const ServerStats& s1) {
  const double rate = r.rate > 0.0 ? r.rate : r.calls / r.wall_s, ideal = c * 1000.0 / latency_ms;
  const double served = static_cast<double>(std::max<int64_t>(1, s1.requests - s0.requests));
  std::printf(
      "%-21s %4d %8.1f %7.1f %5.1f%% %8.1f %6.1f %7.2f %7.2f %7.2f %6.1f%% %6lld %6lld\n", name, c,
      rate, ideal, 100.0 * rate / ideal, 1e6 * r.cpu_s / r.calls,
      1e6 * (s1.cpu_s - s0.cpu_s) / served,
      r.latency_ms_total / std::max<double>(1.0, static_cast<double>(r.calls)),
      (s1.served_ms_total - s0.served_ms_total) / served,
      (s1.late_ms_total - s0.late_ms_total) / served, 100.0 * (s1.cpu_s - s0.cpu_s) / r.wall_s,
      static_cast<long long>(s1.connections - s0.connections), static_cast<long long>(r.failed));
}

// CPU time this machine charges a process for one sleep and wake-up (an idle epoll_wait
// of `ms`): a floor under the CPU per call of any client that sleeps between replies.
double WakeUpCostUs(int ms, int n) {
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  const double cpu0 = CpuSeconds();
  for (int i = 0; i < n; ++i) epoll_wait(ep, &ev, 1, ms);
  const double cpu = CpuSeconds() - cpu0;
  close(ep);
  return 1e6 * cpu / n;
}

std::string LoadAverage() {
  double l[3] = {0, 0, 0};
  if (getloadavg(l, 3) != 3) return "?";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f %.2f %.2f", l[0], l[1], l[2]);
  return buf;
}

int RpmRun(double seconds) {
  teamsrl::llm::testing::FakeOpenAiServer server;
  if (!server.Start({"--rpm", "600", "--rpm-window-s", "60"})) {
    std::fprintf(stderr, "server: %s\n", server.error().c_str());
    return 1;
  }
  teamsrl::llm::EndpointConfig cfg = Endpoint(server.base_url(), 32);
  cfg.rpm = 600;
  auto client = OpenAiBackend::Create("bench", cfg);
  if (!client.ok()) return 1;
  const LoopResult r = ClosedLoop(**client, 32, seconds);
  const ServerStats s = GetStats(server);
  std::printf("\nrpm run: rpm 600 vs server enforcing 600/min (60-s window), %.0f s\n", seconds);
  std::printf(
      "  calls %lld in %.2f s = %.1f /min (%.1f %% of 600), failed %lld, server 429s %lld\n",
      static_cast<long long>(r.calls), r.wall_s, r.calls / r.wall_s * 60.0,
      100.0 * r.calls / r.wall_s * 60.0 / 600.0, static_cast<long long>(r.failed),
      static_cast<long long>(s.sent_429));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  double latency_ms = 100.0, seconds = 3.0, rpm_run = 0.0;
  std::string tls_dir;
  std::vector<int> levels = {1, 8, 32, 128};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--latency-ms") latency_ms = std::atof(v.c_str());
    if (a == "--seconds") seconds = std::atof(v.c_str());
    if (a == "--rpm-run") rpm_run = std::atof(v.c_str());
    if (a == "--tls") tls_dir = v;
    if (a == "--levels") {
      levels.clear();
      for (const std::string& s : teamsrl::Split(v, ',')) levels.push_back(std::atoi(s.c_str()));
    }
  }
  teamsrl::llm::EnsureCurlGlobalInit();
  teamsrl::llm::testing::FakeOpenAiServer server;
  std::vector<std::string> args = {"--latency-ms", std::to_string(latency_ms)};
  if (!tls_dir.empty()) args.insert(args.end(), {"--tls-dir", tls_dir});
  if (!server.Start(args)) {
    std::fprintf(stderr, "server: %s\n", server.error().c_str());
    return 1;
  }
  g_ca_file = server.ca_file();
  std::printf("fake server latency %.0f ms, %.1f s per level, %s; load average %s\n", latency_ms,
              seconds, tls_dir.empty() ? "HTTP/1.1" : "HTTPS, HTTP/2 offered",
              LoadAverage().c_str());
  std::printf(
      "CPU charged per idle sleep + wake-up on this machine: %.1f us (1 ms sleeps), "
      "%.1f us (10 ms)\n",
      WakeUpCostUs(1, 300), WakeUpCostUs(10, 50));
  std::printf("%-21s %4s %8s %7s %6s %8s %6s %7s %7s %7s %7s %6s %6s\n", "client", "C", "calls/s",
              "ideal", "share", "cpu_us", "srv_us", "lat_ms", "srv_ms", "late_ms", "srv_cpu",
              "conns", "failed");
  std::printf(
      "  (cpu_us: client CPU per call; srv_us: server CPU per request (in lockstep, C x srv_us\n"
      "   is how long the single-threaded server needs for each round's burst); lat_ms:\n"
      "   client-side mean latency; srv_ms: the server's mean request-to-reply time; late_ms:\n"
      "   how late the server's latency timer fired, mean; srv_cpu: server CPU %% of wall time;\n"
      "   conns: new connections during the measurement, incl. the /stats probe)\n");
  for (int c : levels) {
    auto client = OpenAiBackend::Create("bench", Endpoint(server.base_url(), c));
    if (!client.ok()) {
      std::fprintf(stderr, "%s\n", client.status().ToString().c_str());
      return 1;
    }
    ClosedLoop(**client, c, 2.5 * latency_ms / 1000.0);  // warm-up: opens C connections
    const Window w = SteadyLoop(**client, server, c, latency_ms / 1000.0, seconds, true);
    PrintRow("openai, staggered", c, latency_ms, w.r, w.s0, w.s1);
    if (c > 1) {
      const Window l = SteadyLoop(**client, server, c, latency_ms / 1000.0, seconds, false);
      PrintRow("openai, lockstep", c, latency_ms, l.r, l.s0, l.s1);
    }
  }
  const ServerStats s0 = GetStats(server);
  const LoopResult b = BlockingLoop(server.base_url(), seconds);
  PrintRow("one-at-a-time (easy)", 1, latency_ms, b, s0, GetStats(server));
  const double rate = b.calls / b.wall_s;
  for (int c : levels) {
    std::printf("  one-at-a-time vs C=%d workload: %.1f %% of the ideal %.0f calls/s\n", c,
                100.0 * rate / (c * 1000.0 / latency_ms), c * 1000.0 / latency_ms);
  }
  const ServerStats end = GetStats(server);
  std::printf("server: %lld chat requests, max in flight %lld, CPU %.2f s\n",
              static_cast<long long>(end.requests), static_cast<long long>(end.max_inflight),
              end.cpu_s);
  server.Stop();
  return rpm_run > 0 ? RpmRun(rpm_run) : 0;
}

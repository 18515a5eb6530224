// Test and bench helper (header-only: tests/CMakeLists.txt builds only *_test.cc): runs
// tests/servers/fake_openai_server.py as a child process on an ephemeral loopback port and
// stops it by PID (SIGTERM, then SIGKILL) in its destructor, so a failing test never leaves
// a server behind. Its stdin is a pipe we hold: if this process dies outright, the server
// sees EOF and exits too.
#pragma once

#include <curl/curl.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "llm/options.h"

extern char** environ;

namespace teamsrl::llm::testing {

inline std::string FakeServerScript() {
  return std::string(TEAMSRL_SOURCE_DIR) + "/tests/servers/fake_openai_server.py";
}

class FakeOpenAiServer {
 public:
  FakeOpenAiServer() = default;
  ~FakeOpenAiServer() { Stop(); }
  FakeOpenAiServer(const FakeOpenAiServer&) = delete;
  FakeOpenAiServer& operator=(const FakeOpenAiServer&) = delete;

  // Starts the server with extra CLI `args`; false (see error()) when it does not come up
  // within 10 s.
  // With "--tls-dir DIR" the server speaks HTTPS (and HTTP/2 unless "--no-h2"), and
  // base_url() / ca_file() say how to reach and trust it.
  bool Start(const std::vector<std::string>& args = {}) {
    for (size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == "--tls-dir") ca_file_ = args[i + 1] + "/cert.pem";
    }
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return Fail("pipe failed");
    std::vector<std::string> argv_s = {"/usr/bin/python3", FakeServerScript()};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    const int rc = posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    stdin_fd_ = in[1];
    if (rc != 0) {
      pid_ = -1;
      close(out[0]);
      return Fail(std::string("posix_spawn: ") + std::strerror(rc));
    }
    std::string line;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < give_up) {
      pollfd p{out[0], POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[256];
      const ssize_t n = read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    close(out[0]);
    if (line.rfind("PORT ", 0) != 0) return Fail("server did not print its port: '" + line + "'");
    port_ = std::stoi(line.substr(5));
    return true;
  }

  void Stop() {
    if (stdin_fd_ >= 0) close(stdin_fd_);
    stdin_fd_ = -1;
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {  // up to 1 s, then SIGKILL
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  int port() const { return port_; }
  std::string base_url() const { return origin() + "/v1"; }
  std::string origin() const {
    return (ca_file_.empty() ? "http://" : "https://") + std::string("127.0.0.1:") +
           std::to_string(port_);
  }
  // The self-signed certificate to trust in TLS mode, else "".
  const std::string& ca_file() const { return ca_file_; }
  const std::string& error() const { return error_; }

  // GET /stats: raw JSON text, "" on failure.
  std::string StatsJson() const { return Get("/stats"); }
  // GET /requests: the bodies the server received, JSON [{path, body}], "" on failure.
  std::string RequestsJson() const { return Get("/requests"); }

 private:
  std::string Get(const std::string& path) const {
    std::string body;
    CURL* h = curl_easy_init();
    if (h == nullptr) return body;
    const std::string url = origin() + path;
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    if (!ca_file_.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, ca_file_.c_str());
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(
        h, CURLOPT_WRITEFUNCTION, +[](char* d, size_t s, size_t n, void* u) {
          static_cast<std::string*>(u)->append(d, s * n);
          return s * n;
        });
    if (curl_easy_perform(h) != CURLE_OK) body.clear();
    curl_easy_cleanup(h);
    return body;
  }

  bool Fail(std::string e) {
    error_ = std::move(e);
    return false;
  }

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int port_ = 0;
  std::string ca_file_;
  std::string error_;
};

// An openai endpoint on `server` whose model name selects the fault (`fault:SPEC`), with a
// short timeout and 3 retries.
inline EndpointConfig FakeEndpoint(const FakeOpenAiServer& server, const std::string& fault = "") {
  EndpointConfig c;
  c.backend = Backend::kOpenai;
  c.base_url = server.base_url();
  c.model = fault.empty() ? "fake-1" : "fault:" + fault;
  c.timeout_s = 5.0;
  c.max_retries = 3;
  return c;
}

}  // namespace teamsrl::llm::testing

// A minimal binary writer/reader for moving plain values between ranks. Both ends are
// the same binary on the same architecture, so values are copied in native layout.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/check.h"

namespace teamsrl {

class ByteWriter {
 public:
  template <typename T>
  void Put(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    const char* p = reinterpret_cast<const char*>(&value);
    bytes_.append(p, sizeof(T));
  }
  void PutString(std::string_view s) {
    Put<uint64_t>(s.size());
    bytes_.append(s.data(), s.size());
  }
  template <typename T>
  void PutVector(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    Put<uint64_t>(v.size());
    if (!v.empty()) bytes_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
  const std::string& bytes() const { return bytes_; }
  std::string Take() { return std::move(bytes_); }

 private:
  std::string bytes_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}
  template <typename T>
  T Get() {
    static_assert(std::is_trivially_copyable_v<T>);
    TEAMSRL_CHECK(pos_ + sizeof(T) <= bytes_.size()) << "truncated message";
    T value;
    std::memcpy(&value, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }
  std::string GetString() {
    const auto n = Get<uint64_t>();
    TEAMSRL_CHECK(pos_ + n <= bytes_.size()) << "truncated message";
    std::string s(bytes_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  template <typename T>
  std::vector<T> GetVector() {
    const auto n = Get<uint64_t>();
    TEAMSRL_CHECK(pos_ + n * sizeof(T) <= bytes_.size()) << "truncated message";
    std::vector<T> v(n);
    if (n > 0) std::memcpy(v.data(), bytes_.data() + pos_, n * sizeof(T));  // data() may be null
    pos_ += n * sizeof(T);
    return v;
  }
  bool done() const { return pos_ == bytes_.size(); }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

}  // namespace teamsrl

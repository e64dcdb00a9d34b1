// SPDX-License-Identifier: Apache-2.0
#include "web_files.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace coach::gateway {

namespace {

std::string content_type(const std::filesystem::path& file) {
  const auto ext = file.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".map") return "application/json";
  return "application/octet-stream";
}

std::optional<std::string> read(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

WebFiles::WebFiles(const std::string& root) : root_(std::filesystem::weakly_canonical(root)) {
  if (!std::filesystem::is_regular_file(root_ / "index.html"))
    throw std::invalid_argument("--web-root: no index.html in " + root +
                                " (build the app: services/web/build.sh)");
}

void WebFiles::add_page_headers(HttpReply& reply) {
  reply.headers.emplace_back("Content-Security-Policy",
                             "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                             "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
                             "base-uri 'none'; form-action 'self'");
  reply.headers.emplace_back("X-Content-Type-Options", "nosniff");
  reply.headers.emplace_back("Referrer-Policy", "no-referrer");
  reply.headers.emplace_back("X-Frame-Options", "DENY");
}

std::optional<HttpReply> WebFiles::get(const std::string& path,
                                       const std::string& accept_encoding) const {
  if (path.find("..") != std::string::npos || path.find('\0') != std::string::npos)
    return std::nullopt;
  std::filesystem::path file = root_ / std::filesystem::path(path).relative_path();
  std::error_code ec;
  if (path == "/" || !std::filesystem::is_regular_file(file, ec)) {
    // An app route (/coach/people): the page that routes it. A missing asset is a 404.
    if (std::filesystem::path(path).has_extension()) return std::nullopt;
    file = root_ / "index.html";
  }
  const auto canonical = std::filesystem::weakly_canonical(file, ec);
  if (ec || canonical.string().rfind(root_.string(), 0) != 0) return std::nullopt;
  HttpReply reply;
  reply.content_type = content_type(canonical);
  auto gz = canonical;
  gz += ".gz";
  std::optional<std::string> body;
  if (accept_encoding.find("gzip") != std::string::npos && std::filesystem::is_regular_file(gz))
    body = read(gz);
  if (body) {
    reply.headers.emplace_back("Content-Encoding", "gzip");
  } else {
    body = read(canonical);
    if (!body) return std::nullopt;
  }
  reply.headers.emplace_back("Vary", "Accept-Encoding");
  reply.body = std::move(*body);
  // Built assets carry a content hash in their names: cached for good. The page is not.
  const bool hashed = canonical.parent_path().filename() == "assets";
  reply.headers.emplace_back("Cache-Control",
                             hashed ? "public, max-age=31536000, immutable" : "no-cache");
  add_page_headers(reply);
  return reply;
}

}  // namespace coach::gateway

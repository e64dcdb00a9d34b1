// SPDX-License-Identifier: Apache-2.0
// WebFiles: the web app's built files (--web-root), served as they are: a file by its path, the
// app's index.html for any other path that is not a file (the app routes in the browser), a
// gzip twin (name.gz) when the client takes gzip. Every answer carries the headers that keep the
// app's pages to their own origin (CSP, no framing, no referrer: a sign-in code is in a URL).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "http_types.hpp"

namespace coach::gateway {

class WebFiles {
 public:
  // Throws invalid_argument when root is not a directory holding index.html.
  explicit WebFiles(const std::string& root);

  // The file for a GET of path, or the app's index.html; nullopt for a path that tries to leave
  // the root.
  std::optional<HttpReply> get(const std::string& path, const std::string& accept_encoding) const;

  // The headers every page of the app carries.
  static void add_page_headers(HttpReply& reply);

 private:
  std::filesystem::path root_;
};

}  // namespace coach::gateway

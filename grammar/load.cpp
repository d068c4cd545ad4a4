#include "grammar/load.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace spur {
namespace {

namespace fs = std::filesystem;

bool read_file(const fs::path& path, std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return false;
  text = std::move(buffer).str();
  return true;
}

}  // namespace

std::vector<std::string> load_rule_files(const std::vector<std::string>& paths,
                                         SourceSet& sources) {
  std::vector<std::string> problems;
  for (const std::string& given : paths) {
    std::error_code ec;
    const fs::path root(given);
    if (fs::is_directory(root, ec)) {
      std::vector<std::string> relative;
      for (auto it = fs::recursive_directory_iterator(root, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->path().extension() == ".rules" && it->is_regular_file(ec)) {
          relative.push_back(fs::relative(it->path(), root, ec).generic_string());
        }
      }
      if (ec) {
        problems.push_back("cannot read folder `" + given + "`: " + ec.message());
        continue;
      }
      if (relative.empty()) {
        problems.push_back("no *.rules files under `" + given + "`");
        continue;
      }
      std::sort(relative.begin(), relative.end());  // bytewise
      for (const std::string& rel : relative) {
        std::string text;
        const std::string shown = (root / rel).generic_string();
        if (!read_file(root / rel, text)) {
          problems.push_back("cannot read `" + shown + "`");
          continue;
        }
        sources.add(shown, std::move(text));
      }
      continue;
    }
    std::string text;
    if (!fs::exists(root, ec)) {
      problems.push_back("`" + given + "` does not exist");
    } else if (!read_file(root, text)) {
      problems.push_back("cannot read `" + given + "`");
    } else {
      sources.add(given, std::move(text));
    }
  }
  return problems;
}

}  // namespace spur

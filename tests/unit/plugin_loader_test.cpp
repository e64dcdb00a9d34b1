// SPDX-License-Identifier: Apache-2.0
#include "plugin_loader.hpp"

#include <gtest/gtest.h>

namespace coach::core {

namespace {
PluginConfig entry(const std::string& name, const std::string& library = "") {
  PluginConfig pc;
  pc.name = name;
  pc.library = library.empty() ? name + ".so" : library;
  return pc;
}
const std::vector<std::string> kDirs{"/nonexistent", COACH_FIXTURE_DIR};

std::string load_error(PluginLoader& loader, const PluginConfig& pc) {
  try {
    loader.load(pc, kDirs);
  } catch (const LoadError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(PluginLoader, LoadsGoodPluginAndReadsManifestWithoutConstructing) {
  PluginLoader loader;
  auto lib = loader.load(entry("good"), kDirs);
  EXPECT_EQ(lib.name, "good");
  EXPECT_EQ(lib.version, "0.0.1");
  EXPECT_EQ(lib.service, "coach.test.Good");
  ASSERT_EQ(lib.config_schema.size(), 3u);
  EXPECT_EQ(std::string(lib.config_schema[1].path), "limits.max");
  // Defaults from the schema are filled in.
  EXPECT_EQ(lib.config.at("limits.max"), "10");
  EXPECT_EQ(lib.config.at("suffix"), "");
  EXPECT_NE(lib.path.find(COACH_FIXTURE_DIR), std::string::npos);
  ASSERT_NE(lib.create, nullptr);
  std::unique_ptr<detail::PluginInstance> instance(lib.create());
  EXPECT_NE(instance, nullptr);
}

TEST(PluginLoader, LoadingTwiceReusesTheLibrary) {
  PluginLoader loader;
  auto a = loader.load(entry("good"), kDirs);
  auto b = loader.load(entry("good"), kDirs);
  EXPECT_EQ(a.create, b.create);
}

TEST(PluginLoader, RefusesMissingFileNamingDirectories) {
  PluginLoader loader;
  auto err = load_error(loader, entry("absent"));
  EXPECT_NE(err.find("absent.so not found"), std::string::npos) << err;
  EXPECT_NE(err.find("/nonexistent"), std::string::npos) << err;
}

TEST(PluginLoader, RefusesLibraryWithoutEntryPoints) {
  PluginLoader loader;
  auto err = load_error(loader, entry("no_symbol"));
  EXPECT_NE(err.find("missing symbol coach_plugin_abi_version"), std::string::npos) << err;
}

TEST(PluginLoader, RefusesWrongAbiVersion) {
  PluginLoader loader;
  auto err = load_error(loader, entry("wrong_abi"));
  EXPECT_NE(err.find("ABI version " + std::to_string(coach::kAbiVersion + 41)), std::string::npos)
      << err;
}

TEST(PluginLoader, RefusesNameThatDiffersFromConfigEntry) {
  PluginLoader loader;
  auto err = load_error(loader, entry("other", "good.so"));
  EXPECT_NE(err.find("declares plugin 'good'"), std::string::npos) << err;
}

TEST(PluginLoader, RefusesConfigKeyThePluginDoesNotAcceptNamingPathAndLine) {
  PluginLoader loader;
  auto pc = entry("good");
  pc.values = {{"suffix", "!"}, {"limits.mx", "3"}};
  pc.lines = {{"suffix", 12}, {"limits.mx", 14}};
  auto err = load_error(loader, pc);
  EXPECT_NE(err.find("plugins.good.config.limits.mx (line 14)"), std::string::npos) << err;
  EXPECT_NE(err.find("accepts: suffix, limits.max, words"), std::string::npos) << err;
}

TEST(PluginLoader, RefusesValuesOfTheWrongTypeShapeOrRange) {
  PluginLoader loader;
  auto with = [&](std::map<std::string, std::string> values) {
    auto pc = entry("good");
    pc.values = std::move(values);
    return load_error(loader, pc);
  };
  EXPECT_NE(with({{"limits.max", "many"}}).find("expected an integer, got 'many'"),
            std::string::npos);
  EXPECT_NE(with({{"limits.max", "1000"}}).find("out of range (1 .. 100)"), std::string::npos);
  EXPECT_NE(with({{"words", "one"}}).find("expected a list"), std::string::npos);
  EXPECT_NE(with({{"suffix.0", "a"}}).find("not a list or map"), std::string::npos);
  EXPECT_EQ(with({{"limits.max", "100"}, {"words.0", "a"}}), "");
}

TEST(PluginLoader, RefusesFileThatIsNotASharedLibrary) {
  PluginLoader loader;
  auto err = load_error(loader, entry("junk", std::string(COACH_SOURCE_DIR) + "/CMakeLists.txt"));
  EXPECT_NE(err.find("cannot load"), std::string::npos) << err;
}

}  // namespace coach::core

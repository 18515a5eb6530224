#include "io/seeds.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "../external_data.h"
#include "test_util.h"

namespace teamsrl::io {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;

std::string Write(const TempDir& dir, const std::string& name, const std::string& text) {
  std::string path = dir.File(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

SeedsConfig Config(const std::string& path) {
  SeedsConfig c;
  c.path = path;
  return c;
}

std::vector<Seed> MustLoad(const SeedsConfig& config, SeedLoadReport* report = nullptr) {
  Result<std::vector<Seed>> seeds = LoadSeeds(config, report);
  EXPECT_TRUE(seeds.ok()) << seeds.status().ToString();
  return seeds.ok() ? *seeds : std::vector<Seed>{};
}

TEST(FieldPathTest, ParsesKeysAndIndices) {
  Result<std::vector<FieldPathStep>> p = ParseFieldPath("instances[0].input");
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->size(), 3u);
  EXPECT_EQ((*p)[0].key, "instances");
  EXPECT_EQ((*p)[1].index, 0);
  EXPECT_EQ((*p)[2].key, "input");
  EXPECT_TRUE(ParseFieldPath("Instruction").ok());
  EXPECT_TRUE(ParseFieldPath("a[1][2].b").ok());
  for (const char* bad : {"", "a..b", "a.", ".a", "a[", "a[x]", "a[]", "a]b"}) {
    EXPECT_FALSE(ParseFieldPath(bad).ok()) << bad;
  }
}

TEST(FieldPathTest, LooksUpNestedValues) {
  nlohmann::json j = nlohmann::json::parse(R"({"a": {"b": [10, {"c": "x"}]}})");
  EXPECT_EQ(*LookupField(j, *ParseFieldPath("a.b[1].c")), "x");
  EXPECT_EQ(*LookupField(j, *ParseFieldPath("a.b[0]")), 10);
  EXPECT_EQ(LookupField(j, *ParseFieldPath("a.b[2]")), nullptr);
  EXPECT_EQ(LookupField(j, *ParseFieldPath("a.c")), nullptr);
  EXPECT_EQ(LookupField(j, *ParseFieldPath("a[0]")), nullptr);  // an object, not an array
}

TEST(SeedsTest, ReadsJsonlWithLineNumbers) {
  TempDir dir;
  std::string path = Write(dir, "s.jsonl",
                           "{\"instruction\": \"Say hi.\", \"input\": \"\", \"output\": \"\"}\n"
                           "\n"
                           "{\"instruction\": \"Sum these.\", \"input\": \"1, 2\"}\r\n");
  std::vector<Seed> seeds = MustLoad(Config(path));
  ASSERT_EQ(seeds.size(), 2u);
  EXPECT_EQ(seeds[0], (Seed{0, "Say hi.", "", 1}));
  EXPECT_EQ(seeds[1], (Seed{1, "Sum these.", "1, 2", 3}));
}

TEST(SeedsTest, ReadsAlpacaJsonArrayElementByElement) {
  TempDir dir;
  // Brackets, braces and escaped quotes inside strings must not confuse the splitter.
  std::string path = Write(dir, "alpaca.json",
                           "\xEF\xBB\xBF[\n"
                           "  {\"instruction\": \"Explain [x] and {y}.\",\n"
                           "   \"input\": \"a \\\"quoted\\\" ] word\", \"output\": \"\"},\n"
                           "  {\n"
                           "    \"instruction\": \"Second\",\n"
                           "    \"input\": null\n"
                           "  }\n"
                           "]\n");
  std::vector<Seed> seeds = MustLoad(Config(path));
  ASSERT_EQ(seeds.size(), 2u);
  EXPECT_EQ(seeds[0], (Seed{0, "Explain [x] and {y}.", "a \"quoted\" ] word", 2}));
  EXPECT_EQ(seeds[1], (Seed{1, "Second", "", 4}));
  EXPECT_TRUE(MustLoad(Config(Write(dir, "empty.json", " [ ] "))).empty());
}

TEST(SeedsTest, ReadsPlainText) {
  TempDir dir;
  std::string path = Write(dir, "s.txt", "  Write a haiku.  \r\n\n\t\nName three rivers.");
  std::vector<Seed> seeds = MustLoad(Config(path));
  ASSERT_EQ(seeds.size(), 2u);
  EXPECT_EQ(seeds[0], (Seed{0, "Write a haiku.", "", 1}));
  EXPECT_EQ(seeds[1], (Seed{1, "Name three rivers.", "", 4}));
}

// Text files follow the JSONL rule: a line that is not valid UTF-8 is a bad record, so no
// store ever holds raw bytes (issue 10 item 4).
TEST(SeedsTest, InvalidUtf8InTextIsABadRecord) {
  TempDir dir;
  SeedsConfig config = Config(Write(dir, "s.txt", "Caf\xC3\xA9 menu.\nbad \xFF byte\nfine\n"));
  Result<std::vector<Seed>> fatal = LoadSeeds(config, nullptr);
  ASSERT_FALSE(fatal.ok());
  EXPECT_THAT(fatal.status().message(), HasSubstr("s.txt:2: invalid UTF-8 at byte 5"));
  config.on_bad_record = OnBadRecord::kSkip;
  SeedLoadReport report;
  const std::vector<Seed> seeds = MustLoad(config, &report);
  ASSERT_EQ(seeds.size(), 2u);
  EXPECT_EQ(seeds[0].instruction, "Caf\xC3\xA9 menu.");
  EXPECT_EQ(seeds[1].instruction, "fine");
  EXPECT_EQ(report.skipped, 1);
}

TEST(SeedsTest, AutoFormatByExtensionThenContent) {
  TempDir dir;
  EXPECT_EQ(*ResolveSeedFormat(Write(dir, "a.jsonl", ""), SeedFormat::kAuto), SeedFormat::kJsonl);
  EXPECT_EQ(*ResolveSeedFormat(Write(dir, "a.txt", "{"), SeedFormat::kAuto), SeedFormat::kText);
  EXPECT_EQ(*ResolveSeedFormat(Write(dir, "b.json", "  [{}]"), SeedFormat::kAuto),
            SeedFormat::kJson);
  EXPECT_EQ(*ResolveSeedFormat(Write(dir, "c.json", "\n{\"a\":1}\n"), SeedFormat::kAuto),
            SeedFormat::kJsonl);
  EXPECT_EQ(*ResolveSeedFormat(Write(dir, "d", "[1]"), SeedFormat::kAuto), SeedFormat::kJson);
  EXPECT_EQ(*ResolveSeedFormat(Write(dir, "e.dat", "hello"), SeedFormat::kAuto), SeedFormat::kText);
  EXPECT_EQ(*ResolveSeedFormat(dir.File("e.dat"), SeedFormat::kJsonl),
            SeedFormat::kJsonl);  // explicit wins
  EXPECT_EQ(ResolveSeedFormat(dir.File("missing"), SeedFormat::kAuto).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(LoadSeeds(Config(dir.File("missing.jsonl")), nullptr).status().code(),
            StatusCode::kNotFound);
}

TEST(SeedsTest, BadRecordIsFatalNamingFileLineAndField) {
  TempDir dir;
  std::string path = Write(dir, "s.jsonl",
                           "{\"instruction\": \"ok\"}\n"
                           "{\"instruction\": 7}\n");
  Result<std::vector<Seed>> seeds = LoadSeeds(Config(path), nullptr);
  ASSERT_FALSE(seeds.ok());
  EXPECT_EQ(seeds.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(seeds.status().message(), HasSubstr(path + ":2: field 'instruction'"));
  EXPECT_THAT(seeds.status().message(), HasSubstr("not a string"));
}

TEST(SeedsTest, BadRecordsAreSkippedAndCounted) {
  TempDir dir;
  std::string path = Write(dir, "s.jsonl",
                           "{\"instruction\": \"one\"}\n"
                           "{\"instruction\": \"two\"\n"                 // invalid JSON
                           "{\"prompt\": \"three\"}\n"                   // missing field
                           "{\"instruction\": \"  \"}\n"                 // empty instruction
                           "{\"instruction\": \"x\", \"input\": [1]}\n"  // non-string input
                           "[\"an array\"]\n"                            // not an object
                           "{\"instruction\": \"seven\"}\n");
  SeedsConfig config = Config(path);
  config.on_bad_record = OnBadRecord::kSkip;
  SeedLoadReport report;
  std::vector<Seed> seeds = MustLoad(config, &report);
  ASSERT_EQ(seeds.size(), 2u);
  EXPECT_EQ(seeds[1], (Seed{1, "seven", "", 7}));
  EXPECT_EQ(report.loaded, 2);
  EXPECT_EQ(report.skipped, 5);
  ASSERT_EQ(report.problems.size(), 5u);
  EXPECT_THAT(report.problems[0], HasSubstr(":2: invalid JSON"));
  EXPECT_THAT(report.problems[1], HasSubstr(":3: field 'instruction' is missing"));
  EXPECT_THAT(report.problems[2], HasSubstr(":4: field 'instruction' is empty"));
  EXPECT_THAT(report.problems[3], HasSubstr(":5: field 'input' is not a string"));
  EXPECT_THAT(report.problems[4], HasSubstr(":6: record is not a JSON object"));
}

TEST(SeedsTest, BadArrayElementIsSkippedButBrokenArrayIsFatal) {
  TempDir dir;
  SeedsConfig config = Config(Write(dir, "a.json",
                                    "[{\"instruction\": \"a\"},\n"
                                    " {\"instruction\": },\n"
                                    " {\"instruction\": \"c\"}]"));
  config.on_bad_record = OnBadRecord::kSkip;
  SeedLoadReport report;
  std::vector<Seed> seeds = MustLoad(config, &report);
  ASSERT_EQ(seeds.size(), 2u);
  EXPECT_EQ(seeds[1].instruction, "c");
  EXPECT_EQ(report.skipped, 1);
  EXPECT_THAT(report.problems[0], HasSubstr("a.json:2: invalid JSON"));

  for (const char* broken : {"[{\"instruction\": \"a\"}", "[{\"instruction\": \"a\"} x", "{}",
                             "[{\"instruction\": \"a\"}] extra", "[{\"instruction\": \"a\""}) {
    config.path = Write(dir, "broken.json", broken);
    config.format = SeedFormat::kJson;
    Result<std::vector<Seed>> r = LoadSeeds(config, nullptr);
    EXPECT_FALSE(r.ok()) << broken;
    EXPECT_THAT(r.status().message(), HasSubstr("broken.json:1:")) << broken;
  }
}

TEST(SeedsTest, RejectsBadConfig) {
  TempDir dir;
  SeedsConfig config = Config(Write(dir, "s.jsonl", "{\"instruction\": \"a\"}\n"));
  config.instruction_field = "a..b";
  EXPECT_THAT(LoadSeeds(config, nullptr).status().message(),
              HasSubstr("env.seeds.fields.instruction"));
  config = Config("");
  EXPECT_FALSE(LoadSeeds(config, nullptr).ok());
}

TEST(SeedsTest, LoadsAnIndexRangeAndStreams) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 10; ++i) text += "seed " + std::to_string(i) + "\n";
  SeedsConfig config = Config(Write(dir, "s.txt", text));
  Result<std::vector<Seed>> range = LoadSeedRange(config, 3, 6, nullptr);
  ASSERT_TRUE(range.ok());
  ASSERT_EQ(range->size(), 3u);
  EXPECT_EQ((*range)[0], (Seed{3, "seed 3", "", 4}));
  EXPECT_EQ((*range)[2].index, 5);

  Result<std::unique_ptr<SeedReader>> reader = SeedReader::Open(config);
  ASSERT_TRUE(reader.ok());
  Seed seed;
  int n = 0;
  while (true) {
    Result<bool> got = (*reader)->Next(&seed);
    ASSERT_TRUE(got.ok());
    if (!*got) break;
    ++n;
  }
  EXPECT_EQ(n, 10);
  EXPECT_EQ((*reader)->report().loaded, 10);
}

// Our own fixtures in the layouts of public sets (tests/data/README.md): the field mapping
// reaches nested and renamed fields. Expected values are read off the fixture lines by hand.
const std::string kTestData = TEAMSRL_TEST_DATA_DIR;

TEST(SeedsTest, MapsNestedInputOfSelfInstructLayout) {
  SeedsConfig config = Config(kTestData + "/self_instruct_style.jsonl");
  config.input_field = "instances[0].input";
  SeedLoadReport report;
  std::vector<Seed> seeds = MustLoad(config, &report);
  ASSERT_EQ(seeds.size(), 4u);
  EXPECT_EQ(report.loaded, 4);
  EXPECT_EQ(report.skipped, 0);
  EXPECT_EQ(seeds[0], (Seed{0, "Make a packing list for a weekend hike.", "", 1}));
  EXPECT_EQ(seeds[1], (Seed{1, "Sort the numbers from smallest to largest.", "9, 2, 5", 2}));
  EXPECT_EQ(seeds[3], (Seed{3, "Which word does not belong with the others?",
                            "apple, pear, hammer, plum", 4}));
  // Without the mapping the default `input` is absent at the top level: read as "".
  std::vector<Seed> unmapped = MustLoad(Config(kTestData + "/self_instruct_style.jsonl"));
  ASSERT_EQ(unmapped.size(), 4u);
  EXPECT_EQ(unmapped[1].input, "");
}

TEST(SeedsTest, MapsRenamedInstructionOfWizardLmLayout) {
  const std::string path = kTestData + "/wizardlm_style.jsonl";
  SeedsConfig config = Config(path);
  config.instruction_field = "Instruction";  // no input field: reads as ""
  std::vector<Seed> seeds = MustLoad(config);
  ASSERT_EQ(seeds.size(), 3u);
  EXPECT_EQ(seeds[2], (Seed{2, "Draft a two-sentence apology for a late delivery.", "", 3}));
  config.instruction_field = "instruction";  // the default names a field this layout lacks
  EXPECT_THAT(LoadSeeds(config, nullptr).status().message(),
              HasSubstr(path + ":1: field 'instruction' is missing"));
}

// The same on the real sets, when they are available (opt-in: external_data.h).
TEST(SeedsTest, MapsFieldsOfSelfInstructSeeds) {
  TEAMSRL_EXTERNAL_DATA_OR_SKIP(path, "self_instruct_seed_tasks.jsonl");
  SeedsConfig config = Config(path);
  config.input_field = "instances[0].input";
  SeedLoadReport report;
  std::vector<Seed> seeds = MustLoad(config, &report);
  ASSERT_EQ(seeds.size(), 175u);
  EXPECT_EQ(report.skipped, 0);
  EXPECT_THAT(seeds[0].instruction, HasSubstr("breakfast"));
  EXPECT_EQ(seeds[174].line, 175);
  int with_input = 0;
  for (const Seed& s : seeds) with_input += s.input.empty() ? 0 : 1;
  EXPECT_GT(with_input, 20);
}

TEST(SeedsTest, MapsFieldsOfWizardLmTestSet) {
  TEAMSRL_EXTERNAL_DATA_OR_SKIP(path, "wizardlm_testset.jsonl");
  SeedsConfig config = Config(path);
  config.instruction_field = "Instruction";  // no input field: reads as ""
  std::vector<Seed> seeds = MustLoad(config);
  ASSERT_EQ(seeds.size(), 218u);
  EXPECT_THAT(seeds[0].instruction, HasSubstr("120 miles"));
  EXPECT_EQ(seeds[0].input, "");
  config.instruction_field = "instruction";  // the default names a field this set lacks
  EXPECT_THAT(LoadSeeds(config, nullptr).status().message(),
              HasSubstr("wizardlm_testset.jsonl:1: field 'instruction' is missing"));
}

}  // namespace
}  // namespace teamsrl::io

namespace teamsrl::io {
namespace {

// The seed file the project ships loads cleanly with the default mapping.
TEST(SeedsTest, ShippedSeedFileLoads) {
  SeedLoadReport report;
  std::vector<Seed> seeds = MustLoad(
      Config(std::string(TEAMSRL_SOURCE_DIR) + "/experiments/seeds/teamsrl_seeds.jsonl"), &report);
  EXPECT_GE(seeds.size(), 300u);
  EXPECT_EQ(report.skipped, 0);
  size_t with_input = 0;
  for (const Seed& s : seeds) with_input += s.input.empty() ? 0 : 1;
  EXPECT_GT(with_input, seeds.size() / 8);
  EXPECT_LT(with_input, seeds.size() / 3);
}

}  // namespace
}  // namespace teamsrl::io

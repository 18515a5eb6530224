#include "io/table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstddef>

#include "io/attributes.h"
#include "test_util.h"

namespace teamsrl::io {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct DemoRow {
  int8_t flag = 0;
  int32_t kind = 0;
  int64_t id = 0;
  uint64_t big = 0;
  double x = 0.0;
};

TableSchema DemoSchema() {
  return TableSchema{"/group/sub/demo",
                     sizeof(DemoRow),
                     {{"flag", offsetof(DemoRow, flag), ColumnType::kInt8, {}},
                      {"kind", offsetof(DemoRow, kind), ColumnType::kInt32, {"zero", "one"}},
                      {"id", offsetof(DemoRow, id), ColumnType::kInt64, {}},
                      {"big", offsetof(DemoRow, big), ColumnType::kUint64, {}},
                      {"x", offsetof(DemoRow, x), ColumnType::kFloat64, {}}}};
}

class TableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("table.h5");
    file_ = FileId(H5Fcreate(path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    ASSERT_TRUE(file_);
  }
  testing::TempDir dir_;
  std::string path_;
  FileId file_;
};

TEST_F(TableTest, CreatesEmptyChunkedCompressedExtendableDataset) {
  auto table = Table::Create(file_.get(), DemoSchema(), 64);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(table->size(), 0);

  DatasetId dataset(H5Dopen2(file_.get(), "/group/sub/demo", H5P_DEFAULT));
  ASSERT_TRUE(dataset);
  DataspaceId space(H5Dget_space(dataset.get()));
  hsize_t dims[1], max_dims[1];
  ASSERT_EQ(H5Sget_simple_extent_dims(space.get(), dims, max_dims), 1);
  EXPECT_EQ(dims[0], 0u);
  EXPECT_EQ(max_dims[0], H5S_UNLIMITED);

  PlistId create(H5Dget_create_plist(dataset.get()));
  EXPECT_EQ(H5Pget_layout(create.get()), H5D_CHUNKED);
  hsize_t chunk[1];
  ASSERT_EQ(H5Pget_chunk(create.get(), 1, chunk), 1);
  EXPECT_EQ(chunk[0], 64u);
  ASSERT_EQ(H5Pget_nfilters(create.get()), 2);
  unsigned flags;
  size_t n_values = 1;
  unsigned values[1];
  EXPECT_EQ(H5Pget_filter2(create.get(), 0, &flags, &n_values, values, 0, nullptr, nullptr),
            H5Z_FILTER_SHUFFLE);
  n_values = 1;
  EXPECT_EQ(H5Pget_filter2(create.get(), 1, &flags, &n_values, values, 0, nullptr, nullptr),
            H5Z_FILTER_DEFLATE);
  EXPECT_EQ(values[0], 4u);
}

TEST_F(TableTest, FileTypeIsPackedLittleEndianWithColumnNames) {
  ASSERT_TRUE(Table::Create(file_.get(), DemoSchema()).ok());
  DatasetId dataset(H5Dopen2(file_.get(), "/group/sub/demo", H5P_DEFAULT));
  TypeId type(H5Dget_type(dataset.get()));
  ASSERT_EQ(H5Tget_class(type.get()), H5T_COMPOUND);
  EXPECT_EQ(H5Tget_size(type.get()), 1u + 4 + 8 + 8 + 8);
  ASSERT_EQ(H5Tget_nmembers(type.get()), 5);
  const char* names[] = {"flag", "kind", "id", "big", "x"};
  const hid_t types[] = {H5T_STD_I8LE, H5T_STD_I32LE, H5T_STD_I64LE, H5T_STD_U64LE, H5T_IEEE_F64LE};
  for (unsigned i = 0; i < 5; ++i) {
    char* name = H5Tget_member_name(type.get(), i);
    EXPECT_STREQ(name, names[i]);
    H5free_memory(name);
    TypeId member(H5Tget_member_type(type.get(), i));
    EXPECT_GT(H5Tequal(member.get(), types[i]), 0) << names[i];
  }
}

TEST_F(TableTest, EnumNamesAreADatasetAttribute) {
  auto table = Table::Create(file_.get(), DemoSchema());
  ASSERT_TRUE(table.ok());
  EXPECT_THAT(*ReadStringArrayAttribute(table->dataset(), "kind_names"),
              ElementsAre("zero", "one"));
  EXPECT_FALSE(HasAttribute(table->dataset(), "flag_names"));
}

TEST_F(TableTest, AppendsAcrossChunksAndReadsColumns) {
  auto table = Table::Create(file_.get(), DemoSchema(), 4);
  ASSERT_TRUE(table.ok());
  std::vector<DemoRow> rows;
  rows.reserve(10);
  for (int i = 0; i < 10; ++i) {
    rows.push_back({static_cast<int8_t>(i % 2), i % 3, 100 + i, 1ULL << 63, i * 0.5});
  }
  ASSERT_TRUE(table->Append(std::vector<DemoRow>(rows.begin(), rows.begin() + 3)).ok());
  ASSERT_TRUE(table->Append(std::vector<DemoRow>(rows.begin() + 3, rows.end())).ok());
  ASSERT_TRUE(table->Append(std::vector<DemoRow>{}).ok());
  EXPECT_EQ(table->size(), 10);

  auto ids = ReadInt64Column(file_.get(), "/group/sub/demo", "id");
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  EXPECT_THAT(*ids, ElementsAre(100, 101, 102, 103, 104, 105, 106, 107, 108, 109));
  auto kinds = ReadInt64Column(file_.get(), "/group/sub/demo", "kind");
  EXPECT_THAT(*kinds, ElementsAre(0, 1, 2, 0, 1, 2, 0, 1, 2, 0));
  auto flags = ReadInt64Column(file_.get(), "/group/sub/demo", "flag");
  EXPECT_THAT(*flags, ElementsAre(0, 1, 0, 1, 0, 1, 0, 1, 0, 1));
  auto xs = ReadFloat64Column(file_.get(), "/group/sub/demo", "x");
  EXPECT_THAT(*xs, ElementsAre(0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5));

  // Whole rows through the C API with the reader's own memory layout.
  DatasetId dataset(H5Dopen2(file_.get(), "/group/sub/demo", H5P_DEFAULT));
  TypeId memory(H5Tcreate(H5T_COMPOUND, sizeof(DemoRow)));
  H5Tinsert(memory.get(), "big", offsetof(DemoRow, big), H5T_NATIVE_UINT64);
  H5Tinsert(memory.get(), "id", offsetof(DemoRow, id), H5T_NATIVE_INT64);
  std::vector<DemoRow> back(10);
  ASSERT_GE(H5Dread(dataset.get(), memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, back.data()), 0);
  EXPECT_EQ(back[9].id, 109);
  EXPECT_EQ(back[9].big, 1ULL << 63);
}

TEST_F(TableTest, ReplaceShrinksAndGrows) {
  auto table = Table::Create(file_.get(), DemoSchema(), 4);
  ASSERT_TRUE(table.ok());
  ASSERT_TRUE(table->Replace(std::vector<DemoRow>(6, DemoRow{0, 0, 7, 0, 0.0})).ok());
  ASSERT_TRUE(table->Replace(std::vector<DemoRow>{{0, 0, 1, 0, 0.0}, {0, 0, 2, 0, 0.0}}).ok());
  EXPECT_EQ(table->size(), 2);
  EXPECT_THAT(*ReadInt64Column(file_.get(), "/group/sub/demo", "id"), ElementsAre(1, 2));
  ASSERT_TRUE(table->Replace(std::vector<DemoRow>{}).ok());
  EXPECT_TRUE(ReadInt64Column(file_.get(), "/group/sub/demo", "id")->empty());
}

TEST_F(TableTest, TextTableRoundTrips) {
  auto texts = TextTable::Create(file_.get(), "/text/strings", 2);
  ASSERT_TRUE(texts.ok()) << texts.status().ToString();
  ASSERT_TRUE(texts->Append({"first", "", "ünïcödé"}).ok());
  ASSERT_TRUE(texts->Append({std::string(100000, 'x')}).ok());
  EXPECT_EQ(texts->size(), 4);
  auto all = ReadStrings(file_.get(), "/text/strings");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[2], "ünïcödé");
  EXPECT_EQ((*all)[3].size(), 100000u);
  EXPECT_THAT(*ReadStrings(file_.get(), "/text/strings", 1, 2), ElementsAre("", "ünïcödé"));
  auto out_of_range = ReadStrings(file_.get(), "/text/strings", 3, 2);
  ASSERT_FALSE(out_of_range.ok());
  EXPECT_THAT(out_of_range.status().message(), HasSubstr("out of range"));
}

TEST_F(TableTest, MissingDatasetOrFieldIsNotFoundNamingTheFile) {
  ASSERT_TRUE(Table::Create(file_.get(), DemoSchema()).ok());
  auto no_dataset = ReadInt64Column(file_.get(), "/nothing/here", "id");
  ASSERT_FALSE(no_dataset.ok());
  EXPECT_EQ(no_dataset.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(no_dataset.status().message(), HasSubstr(path_));
  auto no_field = ReadInt64Column(file_.get(), "/group/sub/demo", "nope");
  ASSERT_FALSE(no_field.ok());
  EXPECT_EQ(no_field.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(no_field.status().message(), HasSubstr("'nope'"));
}

TEST_F(TableTest, CreatingTwiceFailsNamingDatasetAndFile) {
  ASSERT_TRUE(Table::Create(file_.get(), DemoSchema()).ok());
  auto again = Table::Create(file_.get(), DemoSchema());
  ASSERT_FALSE(again.ok());
  EXPECT_THAT(again.status().message(), HasSubstr("/group/sub/demo"));
  EXPECT_THAT(again.status().message(), HasSubstr(path_));
}

}  // namespace
}  // namespace teamsrl::io

#include "io/attributes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "io/hdf5_handle.h"
#include "test_util.h"

namespace teamsrl::io {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class AttributesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("attributes.h5");
    file_ = FileId(H5Fcreate(path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    ASSERT_TRUE(file_);
  }
  testing::TempDir dir_;
  std::string path_;
  FileId file_;
};

TEST_F(AttributesTest, RoundTripsEveryType) {
  const hid_t f = file_.get();
  ASSERT_TRUE(WriteStringAttribute(f, "s", "héllo wörld").ok());
  ASSERT_TRUE(WriteStringAttribute(f, "empty", "").ok());
  ASSERT_TRUE(WriteStringArrayAttribute(f, "names", {"a", "bb", ""}).ok());
  ASSERT_TRUE(WriteStringArrayAttribute(f, "none", {}).ok());
  ASSERT_TRUE(WriteInt64Attribute(f, "i", -42).ok());
  ASSERT_TRUE(WriteUint64Attribute(f, "u", 18446744073709551615ULL).ok());
  ASSERT_TRUE(WriteFloat64Attribute(f, "d", 0.125).ok());

  EXPECT_EQ(*ReadStringAttribute(f, "s"), "héllo wörld");
  EXPECT_EQ(*ReadStringAttribute(f, "empty"), "");
  EXPECT_THAT(*ReadStringArrayAttribute(f, "names"), ElementsAre("a", "bb", ""));
  EXPECT_TRUE(ReadStringArrayAttribute(f, "none")->empty());
  EXPECT_EQ(*ReadInt64Attribute(f, "i"), -42);
  EXPECT_EQ(*ReadUint64Attribute(f, "u"), 18446744073709551615ULL);
  EXPECT_EQ(*ReadFloat64Attribute(f, "d"), 0.125);
  EXPECT_EQ(*ReadFloat64Attribute(f, "i"), -42.0);  // integers read as floats
  EXPECT_TRUE(HasAttribute(f, "s"));
  EXPECT_FALSE(HasAttribute(f, "nope"));
}

TEST_F(AttributesTest, StringsAreVariableLengthUtf8) {
  ASSERT_TRUE(WriteStringAttribute(file_.get(), "s", "x").ok());
  AttributeId attr(H5Aopen(file_.get(), "s", H5P_DEFAULT));
  TypeId type(H5Aget_type(attr.get()));
  EXPECT_GT(H5Tis_variable_str(type.get()), 0);
  EXPECT_EQ(H5Tget_cset(type.get()), H5T_CSET_UTF8);
}

TEST_F(AttributesTest, WritingReplacesAnyType) {
  ASSERT_TRUE(WriteInt64Attribute(file_.get(), "x", 1).ok());
  ASSERT_TRUE(WriteStringAttribute(file_.get(), "x", "now a string").ok());
  EXPECT_EQ(*ReadStringAttribute(file_.get(), "x"), "now a string");
}

TEST_F(AttributesTest, ReadsFixedLengthStrings) {
  TypeId type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), 8);
  DataspaceId space(H5Screate(H5S_SCALAR));
  AttributeId attr(
      H5Acreate2(file_.get(), "fixed", type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT));
  char value[8] = {'a', 'b', 'c', 0, 0, 0, 0, 0};
  ASSERT_GE(H5Awrite(attr.get(), type.get(), value), 0);
  attr.reset();
  EXPECT_EQ(*ReadStringAttribute(file_.get(), "fixed"), "abc");
}

TEST_F(AttributesTest, ErrorsNameAttributeAndFile) {
  Result<std::string> missing = ReadStringAttribute(file_.get(), "absent");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("'absent'"));
  EXPECT_THAT(missing.status().message(), HasSubstr(path_));

  ASSERT_TRUE(WriteInt64Attribute(file_.get(), "n", 3).ok());
  Result<std::string> wrong = ReadStringAttribute(file_.get(), "n");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(AttributesTest, ReadStringAttributesSkipsOthers) {
  ASSERT_TRUE(WriteStringAttribute(file_.get(), "a", "1").ok());
  ASSERT_TRUE(WriteStringAttribute(file_.get(), "b", "2").ok());
  ASSERT_TRUE(WriteInt64Attribute(file_.get(), "c", 3).ok());
  ASSERT_TRUE(WriteStringArrayAttribute(file_.get(), "d", {"x"}).ok());
  auto all = ReadStringAttributes(file_.get());
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->size(), 2u);
  EXPECT_EQ(all->at("a"), "1");
  EXPECT_EQ(all->at("b"), "2");
}

}  // namespace
}  // namespace teamsrl::io

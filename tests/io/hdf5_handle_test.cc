#include "io/hdf5_handle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <utility>

#include "test_util.h"

namespace teamsrl::io {
namespace {

using ::testing::HasSubstr;

TEST(Hdf5IdTest, ClosesOnDestructionAndMoves) {
  hid_t raw = H5Screate(H5S_SCALAR);
  ASSERT_GE(raw, 0);
  {
    DataspaceId space(raw);
    EXPECT_TRUE(space);
    EXPECT_GT(H5Iis_valid(raw), 0);
    DataspaceId moved(std::move(space));
    EXPECT_FALSE(space);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
    EXPECT_EQ(moved.get(), raw);
    DataspaceId assigned;
    assigned = std::move(moved);
    EXPECT_EQ(assigned.get(), raw);
    EXPECT_GT(H5Iis_valid(raw), 0);
  }
  EXPECT_LE(H5Iis_valid(raw), 0);
  H5Eclear2(H5E_DEFAULT);
}

TEST(Hdf5IdTest, ReleaseGivesUpOwnership) {
  hid_t raw;
  {
    DataspaceId space(H5Screate(H5S_SCALAR));
    raw = space.release();
    EXPECT_FALSE(space);
  }
  EXPECT_GT(H5Iis_valid(raw), 0);
  H5Sclose(raw);
}

TEST(Hdf5IdTest, InvalidIdIsFalse) {
  DatasetId none;
  EXPECT_FALSE(none);
  EXPECT_TRUE(none.Close("closing nothing").ok());
}

TEST(Hdf5ErrorTest, MissingFileIsNotFoundWithTheHdf5Stack) {
  testing::TempDir dir;
  const std::string path = dir.File("missing.h5");
  FileId file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  ASSERT_FALSE(file);
  Status status = Hdf5Error("opening " + path);
  EXPECT_EQ(status.code(), StatusCode::kNotFound) << status.ToString();
  EXPECT_THAT(status.message(), HasSubstr("opening " + path + " (HDF5: "));
  EXPECT_THAT(status.message(), HasSubstr("unable to open file"));
  // The stack was cleared: a second error report has no stale entries.
  EXPECT_EQ(Hdf5Error("nothing failed").message(), "nothing failed");
}

TEST(Hdf5ErrorTest, CheckHdf5PassesSuccess) {
  EXPECT_TRUE(CheckHdf5(0, "fine").ok());
  EXPECT_FALSE(CheckHdf5(-1, "broken").ok());
}

TEST(DescribeObjectTest, NamesObjectAndFile) {
  testing::TempDir dir;
  const std::string path = dir.File("describe.h5");
  FileId file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  ASSERT_TRUE(file);
  DataspaceId space(H5Screate(H5S_SCALAR));
  DatasetId dataset(H5Dcreate2(file.get(), "/x", H5T_STD_I64LE, space.get(), H5P_DEFAULT,
                               H5P_DEFAULT, H5P_DEFAULT));
  ASSERT_TRUE(dataset);
  EXPECT_EQ(DescribeObject(dataset.get()), "dataset /x in " + path);
  EXPECT_EQ(DescribeObject(file.get()), "file " + path);
  EXPECT_EQ(FileName(dataset.get()), path);
}

}  // namespace
}  // namespace teamsrl::io

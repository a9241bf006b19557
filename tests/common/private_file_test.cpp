#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "files/private_file.hpp"

namespace wharf::files {
namespace {

namespace fs = std::filesystem;

struct Dir {
  std::string path;
  Dir() {
    char tpl[] = "/tmp/wharf-file-XXXXXX";
    path = ::mkdtemp(tpl);
  }
  ~Dir() { fs::remove_all(path); }
};

std::string read(const std::string& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(PrivateFile, ReplacesWholeWithMode0600AndLeavesNoTemporary) {
  Dir d;
  const std::string p = d.path + "/key.pem";
  ASSERT_TRUE(write_private_file(p, "first").ok());
  ASSERT_TRUE(write_private_file(p, "second, longer").ok());
  EXPECT_EQ(read(p), "second, longer");
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(fs::exists(p + ".tmp"));
}

TEST(PrivateFile, FailuresNameTheFileAndLeaveTheOldOne) {
  Dir d;
  auto missing = write_private_file(d.path + "/no/such/dir/table.json", "x");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(),
            "cannot write " + d.path + "/no/such/dir/table.json.tmp: No such file or directory");
  // A directory where the file should be: the rename fails, the temporary is removed.
  const std::string taken = d.path + "/taken";
  fs::create_directory(taken);
  fs::create_directory(taken + "/inside");
  auto replaced = write_private_file(taken, "x");
  ASSERT_FALSE(replaced.ok());
  EXPECT_TRUE(replaced.error().starts_with("cannot replace " + taken + ": ")) << replaced.error();
  EXPECT_TRUE(fs::is_directory(taken));
  EXPECT_FALSE(fs::exists(taken + ".tmp"));
}

}  // namespace
}  // namespace wharf::files

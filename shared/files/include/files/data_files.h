// Reading the shipped data and import files from disk: the one place the client
// and the server touch the file system for templates, code lists and report files.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "shared/catalog.h"
#include "shared/report.h"
#include "shared/status.h"

namespace budgetsync {

// The data folder holding forms/ and codes/: $BUDGETSYNC_DATA_DIR when set, else
// ../share/budgetsync beside the installed program, else the source tree's
// shared/data the program was built from.
std::filesystem::path default_data_dir(const char* argv0);

// Loads every template under DIR/forms and every code list under DIR/codes/<year>,
// then cross-checks them. Errors name the file and the field.
Result<Catalog> load_catalog(const std::filesystem::path& data_dir);

// Lists a user loaded (budgetsync codes import), kept as DIR/<year>/<list>.json:
// each takes the place of the shipped list of its id and year. No folder, none.
Status load_user_code_lists(Catalog& catalog, const std::filesystem::path& dir);
// Keeps a list there, written whole to a temporary file and renamed into place.
Status save_user_code_list(const CodeList& list, const std::filesystem::path& dir);

// Creates `dir` (with its parents) when missing, the owner's alone (0700)
// whatever the umask: replica and server folders hold session tokens, keys and
// every unit's figures. A folder that already exists is left as it is.
Status make_private_dir(const std::filesystem::path& dir);

// Reads a whole file; IoError naming the path when it cannot.
Result<std::string> read_file(const std::filesystem::path& path);

// What reading a set of report files gave: the reports, in file order, and
// every file (or path) that could not be read, with why.
struct ReportFiles {
  struct Refused {
    std::filesystem::path path;
    Status status;  // names the path
  };
  std::vector<Report> reports;
  std::vector<Refused> refused;
};

// Loads report files: each path is a .json file or a folder searched
// recursively for .json files (in name order). A bad file, a missing path, an
// empty folder or a report given twice is refused and the others are still
// read. `progress` (may be empty) is called after each file.
ReportFiles load_each_report(const std::vector<std::filesystem::path>& paths,
                             const Catalog& catalog,
                             const std::function<void(size_t done, size_t total)>& progress = {});

// The same, all or nothing: the first refused file is the error.
Result<std::vector<Report>> load_reports(
    const std::vector<std::filesystem::path>& paths, const Catalog& catalog,
    const std::function<void(size_t done, size_t total)>& progress = {});

}  // namespace budgetsync

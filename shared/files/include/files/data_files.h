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

// Creates `dir` (with its parents) when missing, the owner's alone (0700)
// whatever the umask: replica and server folders hold session tokens, keys and
// every unit's figures. A folder that already exists is left as it is.
Status make_private_dir(const std::filesystem::path& dir);

// Reads a whole file; IoError naming the path when it cannot.
Result<std::string> read_file(const std::filesystem::path& path);

// Loads report files: each path is a .json file or a folder searched
// recursively for .json files (in name order). The first bad file stops the load
// with an error naming it. `progress` (may be empty) is called after each file.
Result<std::vector<Report>> load_reports(
    const std::vector<std::filesystem::path>& paths, const Catalog& catalog,
    const std::function<void(size_t done, size_t total)>& progress = {});

}  // namespace budgetsync

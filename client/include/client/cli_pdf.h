// export --format pdf: the printable page (render_report_html) printed to PDF by
// a headless Chromium, where one is installed.
#pragma once

#include <filesystem>
#include <string>

#include "shared/status.h"

namespace budgetsync::client {

// The browser that prints: $BUDGETSYNC_CHROMIUM, else chromium, chromium-browser,
// google-chrome or google-chrome-stable on the PATH. Empty when there is none.
std::string find_chromium();

// Prints `html` to `pdf` with `browser` (A4, the page's own @page size and
// footer, no browser header), through a file beside `pdf` renamed into place.
// A browser that fails or takes more than a minute is an IoError; nothing is
// left behind.
Status print_to_pdf(const std::string& browser, const std::string& html,
                    const std::filesystem::path& pdf);

}  // namespace budgetsync::client

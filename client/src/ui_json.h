// What the UI API's handlers share: JSON answers, errors with the HTTP status
// a refusal maps to, and findings and scores as JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "client/ui_api.h"
#include "shared/check.h"
#include "shared/status.h"

namespace budgetsync::client::ui {

using json = nlohmann::ordered_json;

UiResponse json_response(int status, const json& body);
UiResponse error(int status, const std::string& message);
// The replica's or workflow's refusal as an answer: 404 not found, 409 refused
// in this state (a locked report), 400 bad input, 500 otherwise.
UiResponse refusal(const Status& s);

json findings_json(const CheckResult& result);
json score_json(const ScoreSummary& s);

// RFC 5987 percent-encoding, for a download's UTF-8 file name.
std::string percent_encode(const std::string& s);

// A field of a request body that must be a string; "" when absent.
std::string text_field(const json& body, const char* name);

}  // namespace budgetsync::client::ui
